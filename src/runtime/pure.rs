//! Pure transformers called from expressions: the one implementation of
//! [`Transformers`] that the machine and the executors' settings share.

use serde_json::Value;

use crate::ir::{Program, TransformerBody, TransformerId};
use crate::runtime::eval::{self, EvalError, Scope, Transformers};

/// Calls pure transformers from expressions.
pub(crate) struct Pure<'a>(pub &'a Program);

impl Transformers for Pure<'_> {
    fn call(&self, transformer: TransformerId, args: Vec<Value>) -> Result<Value, EvalError> {
        let Some(t) = self.0.transformers.get(transformer.0 as usize) else {
            return Err(EvalError {
                message: format!("no transformer {} in this program", transformer.0),
            });
        };
        match &t.body {
            TransformerBody::Pure(body) => eval::eval(
                body,
                &Scope {
                    params: &args,
                    states: &[],
                    item: None,
                    error: None,
                    transformers: self,
                },
            ),
            TransformerBody::External { .. } => Err(EvalError {
                message: format!(
                    "the transformer `{}` runs a program, so it can be a hook but not be called in an expression",
                    t.name
                ),
            }),
        }
    }
}
