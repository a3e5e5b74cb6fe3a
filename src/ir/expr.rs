//! Expressions of the checked program: names resolved to what they stand
//! for, built-ins and transformers to ids, so that evaluating one needs no
//! lookups by name.

use serde_json::Value;

use super::ids::{StateId, TransformerId};

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value: `null`, `true`, `42`, `"text"` without
    /// interpolation. Durations never reach expressions that are evaluated.
    Literal(Value),
    /// The parameter of the enclosing worker, transformer or workflow at
    /// this index.
    Param(u32),
    /// The value of a state of the enclosing workflow; `null` when the state
    /// has not succeeded yet (the checker typed such uses `T?`).
    State(StateId),
    /// The loop variable of a `map` state, in its call's arguments.
    Item,
    /// `error`: in an `on_failure` condition the failure being routed;
    /// elsewhere in a workflow the failure an `on_failure` transition routed
    /// most recently in the run (with the state that failed), or `null`.
    Error,
    /// A string with interpolations: text is inserted as is, a string value
    /// as is, anything else as compact JSON.
    Interp(Vec<Part>),
    List(Vec<Expr>),
    Record(Vec<(String, Expr)>),
    /// `base.name`, or `base?.name` when `optional` (null stays null).
    Field {
        base: Box<Expr>,
        name: String,
        optional: bool,
    },
    /// `base[index]`: a list by position (null when out of range) or a
    /// record by key.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Builtin {
        function: Builtin,
        args: Vec<Expr>,
    },
    /// A pure transformer, its arguments in the order of its parameters.
    Call {
        transformer: TransformerId,
        args: Vec<Expr>,
    },
    Not(Box<Expr>),
    /// `-operand`; `int` when the checker typed it `int`, so that
    /// negating the smallest `int` fails instead of giving a float.
    Neg {
        operand: Box<Expr>,
        int: bool,
    },
    /// `lhs op rhs`; `int` when the checker typed both operands `int`
    /// (`+ - * %`), so that an overflow fails the run instead of giving a
    /// float.
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        int: bool,
    },
    /// `if condition then then else otherwise`: only the branch taken is
    /// evaluated.
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Value(Expr),
}

/// The built-in functions of section 9 of the design. `env` is not among
/// them: it is read where executor settings are evaluated, so that its
/// value is known to be a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Len,
    Lower,
    Upper,
    Trim,
    Contains,
    Join,
    Split,
    Keys,
    ToJson,
    ParseJson,
    String,
    Number,
    /// `env("NAME")`, only in executor settings.
    Env,
}

impl Builtin {
    pub const ALL: [Builtin; 13] = [
        Builtin::Len,
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Trim,
        Builtin::Contains,
        Builtin::Join,
        Builtin::Split,
        Builtin::Keys,
        Builtin::ToJson,
        Builtin::ParseJson,
        Builtin::String,
        Builtin::Number,
        Builtin::Env,
    ];

    /// The name a call uses: `parse_json`.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Len => "len",
            Builtin::Lower => "lower",
            Builtin::Upper => "upper",
            Builtin::Trim => "trim",
            Builtin::Contains => "contains",
            Builtin::Join => "join",
            Builtin::Split => "split",
            Builtin::Keys => "keys",
            Builtin::ToJson => "to_json",
            Builtin::ParseJson => "parse_json",
            Builtin::String => "string",
            Builtin::Number => "number",
            Builtin::Env => "env",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// A binary operator, as written and as evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Coalesce => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding power, higher binds tighter (section 9 of the design).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Coalesce => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
        }
    }
}
