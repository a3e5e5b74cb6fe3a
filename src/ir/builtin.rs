//! The built-in workers, for tests and demos: `builtin { name: "echo" }`
//! returns its input, `builtin { name: "fail" }` fails with class `worker`.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinWorker {
    /// Returns its input.
    Echo,
    /// Fails with class `worker`.
    Fail,
}

impl BuiltinWorker {
    pub const ALL: [BuiltinWorker; 2] = [BuiltinWorker::Echo, BuiltinWorker::Fail];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinWorker::Echo => "echo",
            BuiltinWorker::Fail => "fail",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        BuiltinWorker::ALL.into_iter().find(|b| b.name() == name)
    }
}
