//! Every diagnostic the checker can report.
//!
//! One variant per rule, each with its own code (never reused), a primary
//! label, secondary labels where another place matters, and a help that says
//! how to fix it. Names are carried as display strings: these values exist to
//! be shown, the checker's own tables use ids.

use miette::{Diagnostic, LabeledSpan};
use thiserror::Error;

use crate::syntax::{Span, ast};

/// A machine-applicable fix: replace the text at `span` with `replacement`.
/// The help text of the diagnostic shows it as "did you mean `...`?", and an
/// editor can offer it as a quick fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub replacement: String,
    pub span: Span,
}

/// Where a fix puts a new line into the block of a state. The line is laid
/// out as `flow fmt` lays out a file: states indented by two spaces, the
/// members of their blocks by four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockPlace {
    /// Before the member of the block (a setting, transition or branch)
    /// that starts at this offset.
    Before(u32),
    /// After the member that ends at this offset.
    After(u32),
    /// Into the empty block whose closing brace is at this offset.
    Empty(u32),
    /// The state has no block: after the state, which ends at this offset.
    NoBlock(u32),
}

impl BlockPlace {
    /// Before the first member of the state's block.
    pub fn first(state: &ast::State) -> Self {
        let Some(body) = state.kind.body() else {
            return BlockPlace::NoBlock(state.span.end);
        };
        let branches = match &state.kind {
            ast::StateKind::Parallel(p) => p.branches.as_slice(),
            _ => &[],
        };
        let first = body
            .settings
            .iter()
            .map(|s| s.span.start)
            .chain(body.transitions.iter().map(|t| t.span.start))
            .chain(
                branches
                    .iter()
                    .map(|b| b.docs.as_ref().map_or(b.span.start, |d| d.span.start)),
            )
            .min();
        match first {
            Some(at) => BlockPlace::Before(at),
            None => Self::empty(state),
        }
    }

    /// After the member that ends at `end`, or, given none, at the end of
    /// the state's block.
    pub fn after(state: &ast::State, end: Option<u32>) -> Self {
        match end {
            Some(end) => BlockPlace::After(end),
            None => {
                let Some(body) = state.kind.body() else {
                    return BlockPlace::NoBlock(state.span.end);
                };
                let last = body
                    .settings
                    .iter()
                    .map(|s| s.span.end)
                    .chain(body.transitions.iter().map(|t| t.span.end))
                    .chain(match &state.kind {
                        ast::StateKind::Parallel(p) => p.branches.iter().map(|b| b.span.end).max(),
                        _ => None,
                    })
                    .max();
                match last {
                    Some(end) => BlockPlace::After(end),
                    None => Self::empty(state),
                }
            }
        }
    }

    /// The place in a state whose block has no members: into its braces, or
    /// a new block when it has none.
    fn empty(state: &ast::State) -> Self {
        let head_end = match &state.kind {
            ast::StateKind::Step(step) => step.call.span.end,
            ast::StateKind::Map(map) => map.iter.span.end,
            ast::StateKind::Parallel(_) => state.name.span.end,
            ast::StateKind::Succeed(value) | ast::StateKind::Fail(value) => value.span.end,
        };
        if state.span.end > head_end {
            BlockPlace::Empty(state.span.end.saturating_sub(1))
        } else {
            BlockPlace::NoBlock(state.span.end)
        }
    }
}

/// A line that a fix adds to the block of state `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateLine {
    pub state: String,
    pub place: BlockPlace,
    /// The line without its indentation: `max_visits: 3`.
    pub text: String,
}

/// A default that a fix gives a value that may be missing, as
/// `value ?? default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultFix {
    /// The expression that gets the default: `x`, or `a.b` for a field of a
    /// value that may be missing.
    pub span: Span,
    /// For `a.b`, the offset of the `.` that becomes `?.`.
    pub dot: Option<u32>,
    /// `""`, `[]`, `0` or `false`.
    pub value: &'static str,
    /// Whether `(x ?? default)` needs its parentheses: an operand of an
    /// operator that binds tighter than `??`, or a part of a larger
    /// expression whose context is not known.
    pub parens: bool,
}

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum CheckError {
    // ---------------------------------------------------------------- items
    #[error("imports are not supported yet")]
    #[diagnostic(
        code(flow::check::unsupported_import),
        help(
            "put the definitions you need into this file; `import` is reserved for a later version"
        )
    )]
    UnsupportedImport {
        #[label("this import cannot be resolved yet")]
        span: Span,
    },

    #[error("the name `{name}` is defined more than once")]
    #[diagnostic(
        code(flow::check::duplicate_definition),
        help(
            "types, workers, transformers and workflows share one namespace: rename or remove one of them"
        )
    )]
    DuplicateDefinition {
        name: String,
        #[label("{kind} `{name}` defined again here")]
        span: Span,
        kind: &'static str,
        #[label("first defined here as a {first_kind}")]
        first: Span,
        first_kind: &'static str,
    },

    #[error("unknown type `{name}`")]
    #[diagnostic(code(flow::check::unknown_type))]
    UnknownType {
        name: String,
        #[label("not a type defined in this file")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("the type alias `{name}` refers to itself")]
    #[diagnostic(
        code(flow::check::cyclic_type),
        help(
            "an alias must end in a concrete type; recursion is allowed only through a record field or list element"
        )
    )]
    CyclicType {
        name: String,
        #[label("`{name}` is defined in terms of itself")]
        span: Span,
        #[label(collection, "through here")]
        path: Vec<LabeledSpan>,
    },

    #[error("unknown worker `{name}`")]
    #[diagnostic(code(flow::check::unknown_worker))]
    UnknownWorker {
        name: String,
        #[label("no worker with this name")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("unknown transformer `{name}`")]
    #[diagnostic(code(flow::check::unknown_transformer))]
    UnknownTransformer {
        name: String,
        #[label("no transformer with this name")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("unknown function `{name}`")]
    #[diagnostic(code(flow::check::unknown_function))]
    UnknownFunction {
        name: String,
        #[label("not a built-in function or a transformer")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("the external transformer `{name}` cannot be called in an expression")]
    #[diagnostic(code(flow::check::impure_call))]
    ImpureCall {
        name: String,
        #[label("this runs a program")]
        span: Span,
        #[label("`{name}` runs a hook program")]
        declared: Span,
        #[help]
        help: String,
    },

    #[error("transformers must not be recursive: {cycle}")]
    #[diagnostic(code(flow::check::recursive_transformer))]
    RecursiveTransformer {
        /// The transformers in order, joined: "`f` → `g` → `f`".
        cycle: String,
        #[label("the cycle starts here")]
        span: Span,
        /// Each call along the cycle, the last one closing it.
        #[label(collection)]
        calls: Vec<LabeledSpan>,
        #[help]
        help: String,
    },

    #[error("unknown name `{name}`")]
    #[diagnostic(code(flow::check::unknown_name))]
    UnknownName {
        name: String,
        #[label("not a parameter, step or variable in scope here")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("duplicate parameter `{name}`")]
    #[diagnostic(
        code(flow::check::duplicate_parameter),
        help("rename or remove one of the parameters")
    )]
    DuplicateParameter {
        name: String,
        #[label("`{name}` declared again here")]
        span: Span,
        #[label("first declared here")]
        first: Span,
    },

    #[error("`{name}` is both a state and a parameter of workflow `{workflow}`")]
    #[diagnostic(
        code(flow::check::ambiguous_name),
        help("expressions could not tell the two apart: rename the state or the parameter")
    )]
    AmbiguousName {
        name: String,
        workflow: String,
        #[label("state `{name}`")]
        span: Span,
        #[label("parameter `{name}`")]
        param: Span,
    },

    #[error("`error` cannot name a {what} of workflow `{workflow}`")]
    #[diagnostic(
        code(flow::check::shadowed_error),
        help(
            "in the expressions of a workflow, `error` is the failure that an `on_failure` transition routed most recently (or `null`), so a {what} called `error` could never be read: rename it"
        )
    )]
    ShadowedError {
        /// "parameter" or "state".
        what: &'static str,
        workflow: String,
        #[label("this {what} would be hidden by `error`")]
        span: Span,
    },

    #[error("duplicate field `{name}`")]
    #[diagnostic(
        code(flow::check::duplicate_field),
        help("a record has each field once: rename or remove one of them")
    )]
    DuplicateField {
        name: String,
        #[label("`{name}` appears again here")]
        span: Span,
        #[label("first here")]
        first: Span,
    },

    #[error("{ty} has no field `{name}`")]
    #[diagnostic(code(flow::check::unknown_field))]
    UnknownField {
        name: String,
        ty: String,
        #[label("unknown field")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    // ---------------------------------------------------------- worker calls
    #[error("`{callee}` has no parameter `{name}`")]
    #[diagnostic(code(flow::check::unknown_argument))]
    UnknownArgument {
        name: String,
        /// The worker or transformer called.
        callee: String,
        #[label("unknown argument")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("missing argument `{name}` for `{callee}`")]
    #[diagnostic(code(flow::check::missing_argument))]
    MissingArgument {
        name: String,
        callee: String,
        #[label("`{name}` is not given")]
        span: Span,
        #[label("`{name}` is declared here")]
        param: Option<Span>,
        #[help]
        help: String,
    },

    #[error("argument `{name}` is given more than once")]
    #[diagnostic(code(flow::check::duplicate_argument), help("remove one of them"))]
    DuplicateArgument {
        name: String,
        #[label("given again here")]
        span: Span,
        #[label("first given here")]
        first: Span,
    },

    #[error("arguments of `{callee}` must be named")]
    #[diagnostic(code(flow::check::unnamed_argument))]
    UnnamedArgument {
        /// The worker, or the transformer called with some named arguments.
        callee: String,
        #[label("name this argument")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("arguments of `{callee}` are positional")]
    #[diagnostic(code(flow::check::named_argument))]
    NamedArgument {
        callee: String,
        #[label("remove `{name}:`")]
        span: Span,
        name: String,
        #[help]
        help: String,
    },

    #[error("`{callee}` takes {expected} argument{plural}, but {found} {were} given", plural = if *expected == 1 { "" } else { "s" }, were = if *found == 1 { "was" } else { "were" })]
    #[diagnostic(code(flow::check::wrong_argument_count))]
    WrongArgumentCount {
        callee: String,
        expected: usize,
        found: usize,
        #[label("called with {found}")]
        span: Span,
        #[help]
        help: String,
    },

    // ---------------------------------------------------- workers, settings
    #[error("{kind} `{name}` has no executor")]
    #[diagnostic(code(flow::check::missing_executor))]
    MissingExecutor {
        name: String,
        /// "worker" or "transformer".
        kind: &'static str,
        #[label("add an executor block to this {kind}")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("`{name}` declares more than one executor")]
    #[diagnostic(
        code(flow::check::multiple_executors),
        help(
            "a worker or external transformer has exactly one executor: keep one, and declare another worker or transformer for the other"
        )
    )]
    MultipleExecutors {
        name: String,
        #[label("second executor")]
        span: Span,
        #[label("first executor")]
        first: Span,
    },

    #[error("unknown executor `{kind}`")]
    #[diagnostic(code(flow::check::unknown_executor))]
    UnknownExecutor {
        kind: String,
        #[label("not an executor")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("the `{executor}` executor cannot run a transformer")]
    #[diagnostic(
        code(flow::check::unsupported_executor),
        help("an external transformer runs a hook program: use `exec {{ command: [...] }}`")
    )]
    UnsupportedExecutor {
        executor: String,
        #[label("use `exec` here")]
        span: Span,
    },

    #[error("unknown built-in worker `{name}`")]
    #[diagnostic(code(flow::check::unknown_builtin))]
    UnknownBuiltin {
        name: String,
        #[label("not a built-in worker")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("unknown setting `{name}` for {context}")]
    #[diagnostic(code(flow::check::unknown_setting))]
    UnknownSetting {
        name: String,
        /// Where the setting stands: "a worker", "a step", "the `exec` executor", ...
        context: String,
        #[label("unknown setting")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("setting `{name}` is given more than once")]
    #[diagnostic(code(flow::check::duplicate_setting), help("keep one of them"))]
    DuplicateSetting {
        name: String,
        #[label("given again here")]
        span: Span,
        #[label("first given here")]
        first: Span,
    },

    #[error("invalid value for `{name}`: expected {expected}")]
    #[diagnostic(code(flow::check::invalid_setting))]
    InvalidSetting {
        name: String,
        expected: String,
        #[label("{found}")]
        span: Span,
        found: String,
        #[help]
        help: String,
    },

    #[error("the `{executor}` executor needs a `{name}` setting")]
    #[diagnostic(code(flow::check::missing_setting))]
    MissingSetting {
        name: String,
        executor: String,
        #[label("`{name}` is missing here")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("unknown failure class `{name}`")]
    #[diagnostic(code(flow::check::unknown_failure_class))]
    UnknownFailureClass {
        name: String,
        #[label("not a failure class")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("`env()` is only allowed in executor settings")]
    #[diagnostic(
        code(flow::check::env_outside_executor),
        help(
            "secrets are read only in the settings of an executor (`exec`, `http`, `llm` or `human`, of a worker or an external transformer), so they never enter the run's data; pass the value in an executor setting instead"
        )
    )]
    EnvOutsideExecutor {
        #[label("`env()` used here")]
        span: Span,
    },

    // ------------------------------------------------------------- states
    #[error("workflow `{workflow}` has no states")]
    #[diagnostic(
        code(flow::check::missing_start),
        help(
            "add a state, for example `succeed done = \"ok\"`; the first state is where a run starts unless `start:` names another"
        )
    )]
    MissingStart {
        workflow: String,
        #[label("this workflow cannot start")]
        span: Span,
    },

    #[error("duplicate state `{name}`")]
    #[diagnostic(
        code(flow::check::duplicate_state),
        help("state names are unique within a workflow: rename one of them")
    )]
    DuplicateState {
        name: String,
        #[label("`{name}` defined again here")]
        span: Span,
        #[label("first defined here")]
        first: Span,
    },

    #[error("duplicate branch `{name}`")]
    #[diagnostic(
        code(flow::check::duplicate_branch),
        help("branch names become the fields of the parallel state's value: rename one of them")
    )]
    DuplicateBranch {
        name: String,
        #[label("`{name}` defined again here")]
        span: Span,
        #[label("first defined here")]
        first: Span,
    },

    #[error("parallel state `{name}` has no branches")]
    #[diagnostic(
        code(flow::check::empty_parallel),
        help("add at least one `branch NAME = Worker(...)`, or make it a `step`")
    )]
    EmptyParallel {
        name: String,
        #[label("no branches")]
        span: Span,
    },

    #[error("unknown state `{name}`")]
    #[diagnostic(code(flow::check::unknown_state))]
    UnknownState {
        name: String,
        workflow: String,
        #[label("no state `{name}` in workflow `{workflow}`")]
        span: Span,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("state `{state}` may succeed without a matching `on_success`")]
    #[diagnostic(code(flow::check::non_exhaustive_transitions))]
    NonExhaustiveTransitions {
        state: String,
        #[label("no `on_success` clause matches {uncovered}")]
        span: Span,
        /// What is not covered, for the label: "every value" or the missing
        /// members of a literal union.
        uncovered: String,
        #[help]
        help: String,
        /// The fix: the missing `on_success -> ...`, when a target is
        /// clear (see `workflows/exhaustive.rs`).
        catch_all: Option<StateLine>,
    },

    #[error("this transition can never be taken")]
    #[diagnostic(code(flow::check::unreachable_transition), severity(Warning))]
    UnreachableTransition {
        #[label("unreachable")]
        span: Span,
        /// The earlier clauses that take what this one could match: one
        /// unconditional clause, or the clauses without a `when` condition
        /// whose class filters together take this one's classes.
        #[label(collection)]
        taken_by: Vec<LabeledSpan>,
        #[help]
        help: String,
    },

    #[error("state `{state}` never fails with class `limit`: it has no `max_visits`")]
    #[diagnostic(code(flow::check::limit_without_max_visits), severity(Warning))]
    LimitWithoutMaxVisits {
        state: String,
        #[label("this clause can never be taken")]
        span: Span,
        #[label("`{state}` has no `max_visits`")]
        name: Span,
        /// Earlier clauses that take the other classes of the filter, if
        /// it names any.
        #[label(collection)]
        taken_by: Vec<LabeledSpan>,
        #[help]
        help: String,
    },

    // -------------------------------------------------------------- graph
    #[error("state `{name}` can never be reached")]
    #[diagnostic(
        code(flow::check::unreachable_state),
        severity(Warning),
        help(
            "no path from the start state `{start}` leads here: add a transition to it, or remove it"
        )
    )]
    UnreachableState {
        name: String,
        start: String,
        #[label("unreachable from the start state")]
        span: Span,
    },

    #[error("state `{name}` can never finish the run")]
    #[diagnostic(code(flow::check::cannot_finish))]
    CannotFinish {
        name: String,
        #[label("no path from here reaches a `succeed` or `fail` state")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("the loop {cycle} has no bound")]
    #[diagnostic(code(flow::check::unbounded_cycle))]
    UnboundedCycle {
        /// The states in order, joined: "`a` → `b` → `a`".
        cycle: String,
        #[label("the loop starts here")]
        span: Span,
        #[label(collection)]
        states: Vec<LabeledSpan>,
        #[help]
        help: String,
        /// The fix: `max_visits` for the state where the loop starts.
        bound: StateLine,
    },

    #[error("the loop {cycle} has no bound: a `limit` failure of `{state}` is routed back into it")]
    #[diagnostic(code(flow::check::unbounded_limit_loop))]
    UnboundedLimitLoop {
        /// The states in order, joined: "`review` → `code` → `review`".
        cycle: String,
        /// The state with `max_visits` whose `limit` failure stays in the
        /// loop.
        state: String,
        #[label("a `limit` failure of `{state}` is routed here, back into the loop")]
        span: Span,
        /// The states of the loop and the clauses that lead on.
        #[label(collection)]
        states: Vec<LabeledSpan>,
        #[help]
        help: String,
        /// The terminal state the help sends the `limit` failure to, if the
        /// workflow has one; `span` is the clause that routes it now.
        exit: Option<String>,
        /// The fix, when `exit` is known: a clause `on_failure limit ->
        /// exit` above the one that routes the failure back (`insert`), or,
        /// when that clause takes only `limit`, its target changed
        /// (`retarget`).
        insert: Option<StateLine>,
        retarget: Option<Suggestion>,
    },

    #[error("workflow `{workflow}` can never succeed")]
    #[diagnostic(code(flow::check::never_succeeds))]
    NeverSucceeds {
        workflow: String,
        #[label("no `succeed` state can be reached from the start state `{start}`")]
        span: Span,
        start: String,
        #[label("runs start here")]
        start_span: Span,
        /// The first `succeed` state, when the workflow has one (no run
        /// reaches it).
        #[label(collection)]
        unreached: Vec<LabeledSpan>,
        #[help]
        help: String,
    },

    // -------------------------------------------------------------- types
    #[error("mismatched types: expected {expected}, found {found}")]
    #[diagnostic(code(flow::check::type_mismatch))]
    TypeMismatch {
        expected: String,
        found: String,
        #[label("{context}")]
        span: Span,
        /// What the value is for: "argument `spec` of `Coder`", ...
        context: String,
        #[label("expected because of this")]
        because: Option<Span>,
        #[help]
        help: Option<String>,
    },

    #[error("the branches of this `if` have no common type: {then} and {otherwise}")]
    #[diagnostic(code(flow::check::incompatible_branches))]
    IncompatibleBranches {
        then: String,
        otherwise: String,
        #[label("the `else` branch is {otherwise}")]
        span: Span,
        #[label("the `then` branch is {then}")]
        then_span: Span,
        #[help]
        help: String,
    },

    #[error("condition must be `bool`, found {found}")]
    #[diagnostic(code(flow::check::non_bool_condition))]
    NonBoolCondition {
        found: String,
        #[label("this is {found}")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("`{transformer}` does not fit as the `{hook}` hook here")]
    #[diagnostic(code(flow::check::hook_signature))]
    HookSignature {
        transformer: String,
        hook: &'static str,
        #[label("{problem}")]
        span: Span,
        problem: String,
        #[label("`{transformer}` is declared here")]
        declared: Option<Span>,
        #[help]
        help: String,
    },

    #[error(
        "`succeed` value does not match the output of workflow `{workflow}`: expected {expected}, found {found}"
    )]
    #[diagnostic(code(flow::check::output_mismatch))]
    OutputMismatch {
        workflow: String,
        expected: String,
        found: String,
        #[label("this is {found}")]
        span: Span,
        #[label("the workflow returns {expected}")]
        declared: Span,
        #[help]
        help: String,
    },

    #[error("{literal} is not a member of {union}")]
    #[diagnostic(code(flow::check::not_a_member))]
    NotAMember {
        literal: String,
        union: String,
        #[label("not a member, so this comparison is always {always}")]
        span: Span,
        always: &'static str,
        suggestion: Option<Suggestion>,
        #[help]
        help: String,
    },

    #[error("`{op}` cannot be applied to {lhs} and {rhs}")]
    #[diagnostic(code(flow::check::invalid_operands))]
    InvalidOperands {
        op: &'static str,
        lhs: String,
        rhs: String,
        #[label("{lhs} {op} {rhs}")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("`{op}` cannot be applied to {operand}")]
    #[diagnostic(code(flow::check::invalid_operand))]
    InvalidOperand {
        op: &'static str,
        operand: String,
        #[label("this is {operand}")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("a duration is not a value")]
    #[diagnostic(
        code(flow::check::misplaced_duration),
        help(
            "durations such as `30s` are written in settings (`timeout`, `backoff`); in an expression use a number, for example of seconds"
        )
    )]
    MisplacedDuration {
        #[label("a duration can only stand in a setting")]
        span: Span,
    },

    #[error("{found} has no fields")]
    #[diagnostic(code(flow::check::not_a_record))]
    NotARecord {
        found: String,
        #[label("`.{field}` on {found}")]
        span: Span,
        field: String,
        #[help]
        help: String,
    },

    #[error("{found} cannot be indexed")]
    #[diagnostic(code(flow::check::not_indexable))]
    NotIndexable {
        found: String,
        #[label("this is {found}")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("this value may be null")]
    #[diagnostic(code(flow::check::nullable_value))]
    NullableValue {
        #[label("this is {found}")]
        span: Span,
        found: String,
        #[help]
        help: String,
        default: Option<DefaultFix>,
    },

    #[error("step `{step}` {reason}")]
    #[diagnostic(code(flow::check::maybe_not_run))]
    MaybeNotRun {
        step: String,
        state: String,
        /// "may not have run yet at `x`", "may have failed before `x`", or
        /// both.
        reason: String,
        #[label("`{step}` is {found} here")]
        span: Span,
        found: String,
        #[label("`{step}` is defined here")]
        defined: Span,
        /// The `on_failure` clause of the step that leads here, when the
        /// step may have failed.
        #[label("a failure of `{step}` leads to `{state}` from here")]
        failure: Option<Span>,
        #[help]
        help: String,
        /// Only the empty value of a step that has not run yet, as the help
        /// offers it (`expr/not_run.rs` says why).
        default: Option<DefaultFix>,
    },
}

impl CheckError {
    /// The "did you mean" replacement, for the variants that have one.
    pub fn suggestion(&self) -> Option<&Suggestion> {
        use CheckError::*;
        match self {
            UnknownType { suggestion, .. }
            | UnknownWorker { suggestion, .. }
            | UnknownTransformer { suggestion, .. }
            | UnknownFunction { suggestion, .. }
            | UnknownName { suggestion, .. }
            | UnknownField { suggestion, .. }
            | UnknownArgument { suggestion, .. }
            | UnknownExecutor { suggestion, .. }
            | UnknownBuiltin { suggestion, .. }
            | UnknownSetting { suggestion, .. }
            | UnknownFailureClass { suggestion, .. }
            | UnknownState { suggestion, .. }
            | NotAMember { suggestion, .. } => suggestion.as_ref(),
            _ => None,
        }
    }

    /// The offset of the primary label, used to report diagnostics in
    /// source order.
    pub fn offset(&self) -> usize {
        use miette::Diagnostic as _;
        self.labels()
            .and_then(|mut labels| labels.next())
            .map(|label| label.offset())
            .unwrap_or(0)
    }
}
