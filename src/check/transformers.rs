//! Transformers: a pure one's expression against its return type, an
//! external one's executor and settings.

use super::env::Cx;
use super::executors::{self, Owner};
use super::expr::{Cause, ParamScope, Typer};
use super::settings::{self, Place};
use crate::syntax::ast::TransformerBody;

pub(crate) fn check_all(cx: &mut Cx<'_, '_>) {
    let env = cx.env;
    for (transformer, sig) in env.items.transformers.iter().zip(&env.transformers) {
        let owner = format!("transformer `{}`", transformer.name.name);
        match &transformer.body {
            TransformerBody::Pure(body) => {
                let scope = ParamScope {
                    params: &sig.params,
                    owner,
                    env_allowed: false,
                };
                let cause = Cause::Body {
                    transformer: transformer.name.as_str(),
                    declared: sig.output_span,
                };
                Typer::new(cx, &scope).expect(body, sig.output, &cause);
            }
            TransformerBody::External {
                executors,
                settings,
            } => {
                let scope = ParamScope {
                    params: &sig.params,
                    owner,
                    env_allowed: true,
                };
                executors::check(cx, executors, &transformer.name, Owner::Transformer, &scope);
                settings::check(settings, Place::Transformer, &mut cx.out);
            }
        }
    }
}
