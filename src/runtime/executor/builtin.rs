//! The built-in workers, for tests and demos: `echo` returns its input,
//! `fail` fails with class `worker`.

use std::borrow::Cow;

use serde_json::Value;

use super::{Failure, Invocation, Output};
use crate::ir::{BuiltinWorker, FailureClass};

/// Runs a built-in worker. It does no I/O, so it is done at once.
pub fn call(worker: BuiltinWorker, inv: &Invocation<'_>) -> Result<Output, Failure> {
    call_with(worker, Cow::Borrowed(inv.input))
}

/// [`call`] with only the input, which `echo` returns without a copy when
/// it is given to it (no built-in reads the call's metadata).
pub fn call_with(worker: BuiltinWorker, input: Cow<'_, Value>) -> Result<Output, Failure> {
    match worker {
        BuiltinWorker::Echo => Ok(Output {
            value: input.into_owned(),
            log: String::new(),
            usage: None,
        }),
        BuiltinWorker::Fail => Err(Failure::new(
            FailureClass::Worker,
            "the built-in worker `fail` failed, as it always does",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::executor::{CallMeta, DEFAULT_MAX_OUTPUT};
    use serde_json::json;

    #[test]
    fn echo_returns_its_input_and_fail_fails() {
        let input = json!({ "goal": "a website" });
        let meta = CallMeta {
            run_id: "r".into(),
            step: "s".into(),
            attempt: 1,
            idempotency_key: "k".into(),
        };
        let inv = Invocation {
            input: &input,
            meta: &meta,
            max_output: DEFAULT_MAX_OUTPUT,
            wants_string: false,
        };
        assert_eq!(
            call(BuiltinWorker::Echo, &inv).map(|o| o.value),
            Ok(input.clone())
        );
        assert_eq!(
            call(BuiltinWorker::Fail, &inv).map_err(|f| f.class),
            Err(FailureClass::Worker)
        );
        for worker in BuiltinWorker::ALL {
            assert_eq!(BuiltinWorker::from_name(worker.name()), Some(worker));
        }
    }
}
