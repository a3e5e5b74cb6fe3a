//! The abstract syntax tree of a `.flow` file.
//!
//! Every node carries the byte span it was parsed from, so that later stages
//! can point at the exact text. The tree is exactly what the user wrote: names
//! are not resolved and nothing is checked here beyond the syntax.

pub use super::span::Span;

/// Names are short: stored inline, they cost no allocation.
pub use compact_str::CompactString;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: CompactString,
    pub span: Span,
}

impl Ident {
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

/// The `///` doc comment lines before an item, field, parameter or state,
/// joined with newlines, without the `///` markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Docs {
    pub text: String,
    pub span: Span,
}

/// A `//` or `/* */` comment. Comments carry no meaning; they are kept so
/// that tools which rewrite the file (the formatter) can put them back.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub kind: CommentKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    Line,
    Block,
}

/// A whole source file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    /// Ordinary comments, in source order.
    pub comments: Vec<Comment>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Import(Import),
    Type(TypeDef),
    Worker(Worker),
    Transformer(Transformer),
    Workflow(Workflow),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Import(i) => i.span,
            Item::Type(i) => i.span,
            Item::Worker(i) => i.span,
            Item::Transformer(i) => i.span,
            Item::Workflow(i) => i.span,
        }
    }

    /// The defined name; imports define none.
    pub fn name(&self) -> Option<&Ident> {
        match self {
            Item::Import(_) => None,
            Item::Type(i) => Some(&i.name),
            Item::Worker(i) => Some(&i.name),
            Item::Transformer(i) => Some(&i.name),
            Item::Workflow(i) => Some(&i.name),
        }
    }

    pub fn docs(&self) -> Option<&Docs> {
        match self {
            Item::Import(i) => i.docs.as_ref(),
            Item::Type(i) => i.docs.as_ref(),
            Item::Worker(i) => i.docs.as_ref(),
            Item::Transformer(i) => i.docs.as_ref(),
            Item::Workflow(i) => i.docs.as_ref(),
        }
    }
}

/// `import "path"`: parsed, and reported by the checker as not supported yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub docs: Option<Docs>,
    pub path: StringLit,
    pub span: Span,
}

/// `type Name { fields }` or `type Name = T`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    pub docs: Option<Docs>,
    pub name: Ident,
    pub ty: TypeExpr,
    /// True for `type Name = T`, false for `type Name { ... }`; only the
    /// formatter cares, since both define the same type.
    pub alias: bool,
    pub span: Span,
}

/// A type as written.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    /// `string`, `number`, `int`, `bool`, `json`.
    Builtin(BuiltinType),
    /// A named type, resolved by the checker.
    Named(Ident),
    /// `[T]`
    List(Box<TypeExpr>),
    /// `{ a: T, b?: U }`
    Record(Vec<FieldDef>),
    /// `"a" | "b"`: a union of string literals. Never empty.
    Union(Vec<StringLit>),
    /// `T?`
    Optional(Box<TypeExpr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinType {
    String,
    Number,
    Int,
    Bool,
    Json,
}

impl BuiltinType {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" => BuiltinType::String,
            "number" => BuiltinType::Number,
            "int" => BuiltinType::Int,
            "bool" => BuiltinType::Bool,
            "json" => BuiltinType::Json,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            BuiltinType::String => "string",
            BuiltinType::Number => "number",
            BuiltinType::Int => "int",
            BuiltinType::Bool => "bool",
            BuiltinType::Json => "json",
        }
    }
}

/// A field of a record type.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub docs: Option<Docs>,
    /// The field name; a quoted name (`"b c": T`) is stored unquoted.
    pub name: Ident,
    /// Written `name?: T`: the field may be absent.
    pub optional: bool,
    pub ty: TypeExpr,
    pub span: Span,
}

/// A parameter of a worker, transformer or workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub docs: Option<Docs>,
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// `worker Name(params) -> T { executor settings }`
#[derive(Debug, Clone, PartialEq)]
pub struct Worker {
    pub docs: Option<Docs>,
    pub name: Ident,
    pub params: Vec<Param>,
    pub output: TypeExpr,
    /// The executor blocks in source order; the checker requires exactly one.
    pub executors: Vec<Executor>,
    pub settings: Vec<Setting>,
    pub span: Span,
}

/// An executor block such as `exec { command: [...] }`. The kind is kept as
/// written so that the checker can suggest the right one for a typo.
#[derive(Debug, Clone, PartialEq)]
pub struct Executor {
    pub kind: Ident,
    pub settings: Vec<Setting>,
    pub span: Span,
}

/// `name: value`. Every setting value is an expression; the checker decides
/// which expressions each setting accepts (a duration, a state name, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `transformer name(params) -> T = expr` or `transformer name(params) -> T { exec {...} }`
#[derive(Debug, Clone, PartialEq)]
pub struct Transformer {
    pub docs: Option<Docs>,
    pub name: Ident,
    pub params: Vec<Param>,
    pub output: TypeExpr,
    pub body: TransformerBody,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TransformerBody {
    /// A pure transformer: one expression over the parameters.
    Pure(Expr),
    /// An external hook program.
    External {
        executors: Vec<Executor>,
        settings: Vec<Setting>,
    },
}

/// `workflow name(params) -> T { settings states }`
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub docs: Option<Docs>,
    pub name: Ident,
    pub params: Vec<Param>,
    pub output: TypeExpr,
    pub settings: Vec<Setting>,
    pub states: Vec<State>,
    pub span: Span,
}

/// A state of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub docs: Option<Docs>,
    pub name: Ident,
    pub kind: StateKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StateKind {
    /// `step NAME = Worker(args) { settings transitions }`
    Step(StepState),
    /// `parallel NAME { branches settings transitions }`
    Parallel(ParallelState),
    /// `map NAME = Worker(args) for item in expr { settings transitions }`
    Map(MapState),
    /// `succeed NAME = expr`
    Succeed(Expr),
    /// `fail NAME = expr`
    Fail(Expr),
}

impl StateKind {
    /// The keyword that introduces the state, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            StateKind::Step(_) => "step",
            StateKind::Parallel(_) => "parallel",
            StateKind::Map(_) => "map",
            StateKind::Succeed(_) => "succeed",
            StateKind::Fail(_) => "fail",
        }
    }

    /// The settings and transitions of a non-terminal state.
    pub fn body(&self) -> Option<&StateBody> {
        match self {
            StateKind::Step(s) => Some(&s.body),
            StateKind::Parallel(s) => Some(&s.body),
            StateKind::Map(s) => Some(&s.body),
            StateKind::Succeed(_) | StateKind::Fail(_) => None,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, StateKind::Succeed(_) | StateKind::Fail(_))
    }
}

/// A call of a worker with named arguments: `Coder(spec: s, feedback: [])`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub worker: Ident,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// An argument: `name: expr` or, in function calls, a bare `expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

/// The block after a step, parallel or map state. A state written without a
/// block has an empty body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateBody {
    pub settings: Vec<Setting>,
    pub transitions: Vec<Transition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    pub call: Call,
    pub body: StateBody,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParallelState {
    pub branches: Vec<Branch>,
    pub body: StateBody,
}

/// `branch a = WorkerA(...) { settings }`
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub docs: Option<Docs>,
    pub name: Ident,
    pub call: Call,
    pub settings: Vec<Setting>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapState {
    pub call: Call,
    /// The loop variable after `for`.
    pub var: Ident,
    /// The list after `in`.
    pub iter: Expr,
    pub body: StateBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn keyword(self) -> &'static str {
        match self {
            Outcome::Success => "on_success",
            Outcome::Failure => "on_failure",
        }
    }
}

/// `on_success when cond -> target` or `on_failure timeout, transient -> target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub outcome: Outcome,
    /// The span of the `on_success` / `on_failure` keyword.
    pub keyword: Span,
    /// Failure classes (only after `on_failure`); empty means any class.
    pub classes: Vec<Ident>,
    pub condition: Option<Expr>,
    pub target: Ident,
    pub span: Span,
}

impl Transition {
    /// A clause with neither a class filter nor a condition always matches.
    pub fn is_unconditional(&self) -> bool {
        self.classes.is_empty() && self.condition.is_none()
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// Calls `f` on each expression directly inside this one, in source
    /// order: the one place that knows where every kind keeps its children.
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Duration(_)
            | ExprKind::DurationRange(..)
            | ExprKind::Name(_) => {}
            ExprKind::String(lit) => {
                for part in &lit.parts {
                    if let StringPart::Interp(e) = part {
                        f(e);
                    }
                }
            }
            ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Record(entries) => entries.iter().for_each(|e| f(&e.value)),
            ExprKind::Field { base, .. } => f(base),
            ExprKind::Index { base, index } => {
                f(base);
                f(index);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| f(&a.value)),
            ExprKind::Unary { operand, .. } => f(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::Paren(inner) => f(inner),
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                f(condition);
                f(then);
                f(otherwise);
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// A whole number literal that fits in `i64`.
    Int(i64),
    /// Any other number literal.
    Number(f64),
    /// A string, possibly with interpolations.
    String(StringLit),
    /// `30s`
    Duration(Duration),
    /// `1s..30s`
    DurationRange(Duration, Duration),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{ a: x, "b c": y }`
    Record(Vec<RecordEntry>),
    /// A parameter, step, loop variable, `error`, ...
    Name(Ident),
    /// `base.name` or, when `optional`, `base?.name`.
    Field {
        base: Box<Expr>,
        name: Ident,
        optional: bool,
    },
    /// `base[index]`
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `name(args)`: a built-in function or a transformer.
    Call {
        callee: Ident,
        args: Vec<Arg>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        /// The span of the operator token.
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `( expr )`, kept so that the formatter preserves the user's grouping.
    Paren(Box<Expr>),
    /// `if condition then a else b`. An `otherwise` that is itself an `If`
    /// was written `else if` (a chain); one in parentheses is a `Paren`.
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

/// A duration in milliseconds, as written (`250ms`, `30s`, `5m`, `2h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub millis: u64,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordEntry {
    /// The key; a quoted key is stored unquoted.
    pub key: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

/// The binary operators are shared with the checked program: one list for
/// the parser, the checker and the evaluator.
pub use crate::ir::BinaryOp;

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
        }
    }
}

/// A string literal: `"..."` or `"""..."""`, with its escapes resolved and
/// its interpolations parsed. Triple-quoted strings have their common
/// indentation and first and last blank lines removed already.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    pub parts: Vec<StringPart>,
    pub triple: bool,
    pub span: Span,
}

impl StringLit {
    /// The text of a string without interpolation, or `None`.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StringPart::Text(t) => out.push_str(t),
                StringPart::Interp(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StringPart {
    Text(String),
    /// `${ expr }`
    Interp(Expr),
}

/// The reserved words that mean something inside an expression: values and
/// the keywords of `if`. They cannot name a parameter; every other reserved
/// word can, since an expression has no other use for it (section 1 of the
/// reference). A reserved word added to expressions must be added here.
pub const EXPRESSION_WORDS: &[&str] = &["if", "then", "else", "true", "false", "null"];

/// Words that cannot name items, states, parameters or variables
/// (section 9 of the design). Record field names and setting names may be
/// any identifier, since JSON data often has fields called `type` or `map`.
pub const RESERVED: &[&str] = &[
    "import",
    "type",
    "worker",
    "transformer",
    "workflow",
    "step",
    "parallel",
    "branch",
    "map",
    "for",
    "in",
    "succeed",
    "fail",
    "start",
    "on_success",
    "on_failure",
    "when",
    "if",
    "then",
    "else",
    "true",
    "false",
    "null",
    "string",
    "number",
    "int",
    "bool",
    "json",
];

pub fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word)
}
