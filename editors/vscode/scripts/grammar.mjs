// The source of syntaxes/flow.tmLanguage.json.
//
// The grammar is written here, in JavaScript, because the same pieces (the
// identifier pattern, the keyword lists and above all the recovery
// lookaheads) recur in dozens of rules; spelling them out by hand in JSON,
// with every backslash doubled, is how such grammars drift and break.
// `npm run build` writes the JSON; a test fails when the committed JSON and
// this file disagree.
//
// How the grammar keeps its place. An item (`type`, `worker`,
// `transformer`, `workflow`) and its body are regions that end only where
// the next item starts on a new line, never at a closing brace: a brace too
// many or too few cannot leak out of its item. Inside a workflow, a state
// region ends at an unmatched `}` or `,`, or where the next state,
// transition or workflow setting starts a line; the bracket regions of
// states and expressions (bodies, arguments, lists, records) also end where
// the next state, transition, branch or item starts a line, and an executor
// block where a worker setting does. A `"` string ends at the end of its
// line, as flow strings do. So a mistake colours at most the lines up to
// the next line that starts something new.

const ID = String.raw`[A-Za-z_][A-Za-z0-9_]*`;

/** Alternatives as one non-capturing group. */
const oneOf = (words) => `(?:${words.join('|')})`;

const ITEM_KEYWORDS = ['import', 'type', 'worker', 'transformer', 'workflow'];
const STATE_KEYWORDS = ['step', 'parallel', 'map', 'succeed', 'fail'];
const BUILTIN_TYPES = ['string', 'number', 'int', 'bool', 'json'];
const BUILTIN_FUNCTIONS = [
  'len', 'lower', 'upper', 'trim', 'contains', 'join', 'split', 'keys',
  'to_json', 'parse_json', 'string', 'number', 'env',
];
const EXECUTORS = ['exec', 'http', 'llm', 'human', 'builtin'];
const FAILURE_CLASSES = ['timeout', 'transient', 'worker', 'output', 'limit'];
// Settings of workers, external transformers, states and workflows.
const SETTINGS = [
  'timeout', 'retries', 'backoff', 'retry_on', 'concurrency', 'before',
  'after', 'max_visits', 'max_concurrency', 'start', 'max_steps',
];
// The worker settings: a line that starts with one of them cannot be inside
// an executor block, so an executor block left open ends there.
const WORKER_SETTINGS = [
  'timeout', 'retries', 'backoff', 'retry_on', 'concurrency', 'before', 'after',
];
// Settings of the executors (`exec`, `http`, `llm`, `human`, `builtin`).
const EXECUTOR_SETTINGS = [
  'command', 'env', 'cwd', 'url', 'method', 'headers', 'model', 'prompt',
  'system', 'base_url', 'api_key', 'temperature', 'name', 'query', 'max_retry_after',
];

// Lines that start something new. A keyword counts only when a name (or,
// for `import`, a string) follows it, so that a field or setting named like
// a keyword (`type: string`) does not end anything.
const ITEM_LINE = String.raw`^\s*${oneOf(ITEM_KEYWORDS)}\s+["A-Za-z_]`;
const STATE_LINE = String.raw`^\s*${oneOf(STATE_KEYWORDS)}\s+[A-Za-z_]`;
const BRANCH_LINE = String.raw`^\s*branch\s+[A-Za-z_]`;
const TRANSITION_LINE = String.raw`^\s*(?:on_success|on_failure)\b(?!\s*:)`;
const SETTING_LINE = String.raw`^\s*${ID}\s*:`;
const WORKER_SETTING_LINE = String.raw`^\s*${oneOf(WORKER_SETTINGS)}\s*:`;

/** A lookahead for any of the alternatives. */
const ahead = (...alternatives) => `(?=${alternatives.join('|')})`;

// Where a bracket region inside an expression gives up when left open.
const EXPRESSION_RECOVERY = ahead(STATE_LINE, TRANSITION_LINE, BRANCH_LINE, ITEM_LINE);
// Where a type region gives up when left open.
const TYPE_RECOVERY = ahead(ITEM_LINE);

const kw = (word) => String.raw`\b(${word})\b`;

/** A `name:` key, with its two scopes. */
function key(names, scope) {
  return {
    match: String.raw`\b(${names})\s*(:)`,
    captures: {
      1: { name: scope },
      2: { name: 'punctuation.separator.key-value.flow' },
    },
  };
}

/**
 * A bracket region: `open` and `close` are single characters; the region
 * also ends, without consuming anything, at `recovery`.
 */
function bracketed({ open, close, scope, punctuation, recovery, patterns }) {
  return {
    name: scope,
    begin: `\\${open}`,
    beginCaptures: { 0: { name: `${punctuation}.begin.flow` } },
    end: `(\\${close})|${recovery}`,
    endCaptures: { 1: { name: `${punctuation}.end.flow` } },
    patterns,
  };
}

/** A call: a name matching `callee`, scoped `calleeScope`, and its arguments. */
function call(callee, calleeScope, scope) {
  return {
    name: scope,
    begin: String.raw`\b(${callee})\s*(\()`,
    beginCaptures: {
      1: { name: calleeScope },
      2: { name: 'punctuation.definition.arguments.begin.flow' },
    },
    end: String.raw`(\))|${EXPRESSION_RECOVERY}`,
    endCaptures: { 1: { name: 'punctuation.definition.arguments.end.flow' } },
    patterns: include('call-arguments'),
  };
}

const include = (...names) => names.map((n) => ({ include: `#${n}` }));

const repository = {
  // ------------------------------------------------------------ comments
  comments: { patterns: include('doc-comment', 'line-comment', 'block-comment') },
  // `///` starts a doc comment; `////` and longer are ordinary comments,
  // as in the parser.
  'doc-comment': {
    name: 'comment.line.documentation.flow',
    match: String.raw`(///)(?!/).*$`,
    captures: { 1: { name: 'punctuation.definition.comment.flow' } },
  },
  'line-comment': {
    name: 'comment.line.double-slash.flow',
    match: String.raw`(//).*$`,
    captures: { 1: { name: 'punctuation.definition.comment.flow' } },
  },
  // Block comments nest, as in the parser.
  'block-comment': {
    name: 'comment.block.flow',
    begin: String.raw`/\*`,
    beginCaptures: { 0: { name: 'punctuation.definition.comment.begin.flow' } },
    end: String.raw`\*/`,
    endCaptures: { 0: { name: 'punctuation.definition.comment.end.flow' } },
    patterns: include('block-comment'),
  },

  // ------------------------------------------------------------- strings
  strings: { patterns: include('triple-string', 'double-string') },
  'triple-string': {
    name: 'string.quoted.triple.flow',
    begin: '"""',
    beginCaptures: { 0: { name: 'punctuation.definition.string.begin.flow' } },
    end: '"""',
    endCaptures: { 0: { name: 'punctuation.definition.string.end.flow' } },
    patterns: include('escapes', 'triple-interpolation'),
  },
  // A `"` string never spans lines: an unterminated one ends with its line.
  'double-string': {
    name: 'string.quoted.double.flow',
    begin: '"',
    beginCaptures: { 0: { name: 'punctuation.definition.string.begin.flow' } },
    end: '(")|$',
    endCaptures: { 1: { name: 'punctuation.definition.string.end.flow' } },
    patterns: include('escapes', 'line-interpolation'),
  },
  escapes: {
    patterns: [
      {
        name: 'constant.character.escape.flow',
        match: String.raw`\\(?:["\\nrt$]|u\{[0-9A-Fa-f]{1,6}\})`,
      },
      {
        name: 'invalid.illegal.escape.flow',
        match: String.raw`\\(?:u\{[^}"]*\}?|.)`,
      },
    ],
  },
  // An interpolation in a `"` string ends with the line, like its string.
  'line-interpolation': {
    name: 'meta.interpolation.flow',
    begin: String.raw`\$\{`,
    beginCaptures: { 0: { name: 'punctuation.section.interpolation.begin.flow' } },
    end: String.raw`(\})|$`,
    endCaptures: { 1: { name: 'punctuation.section.interpolation.end.flow' } },
    patterns: include('expression'),
  },
  // One in a triple-quoted string may span lines, but gives up at the `"""`
  // that closes its string.
  'triple-interpolation': {
    name: 'meta.interpolation.flow',
    begin: String.raw`\$\{`,
    beginCaptures: { 0: { name: 'punctuation.section.interpolation.begin.flow' } },
    end: String.raw`(\})|(?=""")`,
    endCaptures: { 1: { name: 'punctuation.section.interpolation.end.flow' } },
    patterns: include('expression'),
  },

  // ------------------------------------------------------------- numbers
  numbers: { patterns: include('duration-range', 'duration', 'number', 'bad-number') },
  'duration-range': {
    name: 'meta.range.duration.flow',
    match: String.raw`\b((\d+)(ms|s|m|h))(\.\.)((\d+)(ms|s|m|h))(?![A-Za-z0-9_])`,
    captures: {
      1: { name: 'constant.numeric.duration.flow' },
      3: { name: 'keyword.other.unit.flow' },
      4: { name: 'keyword.operator.range.flow' },
      5: { name: 'constant.numeric.duration.flow' },
      7: { name: 'keyword.other.unit.flow' },
    },
  },
  duration: {
    name: 'constant.numeric.duration.flow',
    match: String.raw`\b(\d+)(ms|s|m|h)(?![A-Za-z0-9_])`,
    captures: { 2: { name: 'keyword.other.unit.flow' } },
  },
  number: {
    name: 'constant.numeric.flow',
    match: String.raw`\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_.])`,
  },
  // Digits that run into letters (`5d`, `30sec`, `1e`): the parser refuses
  // them.
  'bad-number': {
    name: 'invalid.illegal.number.flow',
    match: String.raw`\b\d[A-Za-z0-9_.]*`,
  },

  constants: {
    patterns: [
      { name: 'constant.language.boolean.true.flow', match: kw('true') },
      { name: 'constant.language.boolean.false.flow', match: kw('false') },
      { name: 'constant.language.null.flow', match: kw('null') },
    ],
  },

  // ---------------------------------------------------------- operators
  operators: {
    patterns: [
      { name: 'keyword.operator.coalesce.flow', match: String.raw`\?\?` },
      { name: 'keyword.operator.arrow.flow', match: '->' },
      { name: 'keyword.operator.comparison.flow', match: '==|!=' },
      { name: 'keyword.operator.relational.flow', match: '<=|>=|<|>' },
      { name: 'keyword.operator.logical.flow', match: String.raw`&&|\|\||!` },
      { name: 'keyword.operator.range.flow', match: String.raw`\.\.` },
      { name: 'keyword.operator.arithmetic.flow', match: '[-+*/%]' },
    ],
  },
  accessors: {
    patterns: [
      {
        match: String.raw`(\?\.)\s*(${ID})?`,
        captures: {
          1: { name: 'keyword.operator.optional-access.flow' },
          2: { name: 'variable.other.member.flow' },
        },
      },
      {
        match: String.raw`(\.)(?!\.)\s*(${ID})?`,
        captures: {
          1: { name: 'punctuation.accessor.flow' },
          2: { name: 'variable.other.member.flow' },
        },
      },
    ],
  },
  assignment: { name: 'keyword.operator.assignment.flow', match: '=' },
  separators: {
    patterns: [
      { name: 'punctuation.separator.comma.flow', match: ',' },
      { name: 'punctuation.separator.key-value.flow', match: ':' },
    ],
  },
  // A `}` that closes a body whose region ends only at the next item (or
  // one too many): punctuation either way.
  'block-close': { name: 'punctuation.section.block.end.flow', match: String.raw`\}` },

  // --------------------------------------------------------- expressions
  expression: {
    patterns: include(
      'comments', 'strings', 'numbers', 'constants', 'conditional', 'builtin-call',
      'transformer-call', 'group', 'list', 'record', 'operators', 'accessors',
      'name', 'separators',
    ),
  },
  // `if c then a else b`. Before the calls, so that `if(c)` is not taken
  // for a transformer; a key named `if` (`if: 1`, `if?: T`) is not the
  // keyword, and a field (`x.if`) is matched by `accessors` first.
  conditional: {
    name: 'keyword.control.conditional.flow',
    match: String.raw`\b(?:if|then|else)\b(?!\s*[:?])`,
  },
  'builtin-call': call(BUILTIN_FUNCTIONS.join('|'), 'support.function.builtin.flow', 'meta.function-call.builtin.flow'),
  // Any other call in an expression calls a transformer.
  'transformer-call': call(ID, 'entity.name.function.transformer.flow', 'meta.function-call.transformer.flow'),
  'call-arguments': {
    patterns: [
      ...include('comments'),
      key(ID, 'variable.parameter.flow'),
      ...include('expression'),
    ],
  },
  group: bracketed({
    open: '(',
    close: ')',
    scope: 'meta.group.flow',
    punctuation: 'punctuation.section.parens',
    recovery: EXPRESSION_RECOVERY,
    patterns: include('expression'),
  }),
  // A list literal, or an index after an expression.
  list: bracketed({
    open: '[',
    close: ']',
    scope: 'meta.brackets.flow',
    punctuation: 'punctuation.section.brackets',
    recovery: EXPRESSION_RECOVERY,
    patterns: include('expression'),
  }),
  record: bracketed({
    open: '{',
    close: '}',
    scope: 'meta.record.flow',
    punctuation: 'punctuation.section.braces',
    recovery: EXPRESSION_RECOVERY,
    patterns: [...include('comments'), key(ID, 'variable.other.member.flow'), ...include('expression')],
  }),
  name: { name: 'variable.other.readwrite.flow', match: String.raw`\b${ID}\b` },

  // --------------------------------------------------------------- types
  type: {
    patterns: include(
      'comments', 'builtin-type', 'literal-union-member', 'record-type',
      'list-type', 'paren-type', 'type-operators', 'type-name', 'separators',
    ),
  },
  'builtin-type': { name: 'support.type.builtin.flow', match: String.raw`\b${oneOf(BUILTIN_TYPES)}\b` },
  'type-name': { name: 'entity.name.type.flow', match: String.raw`\b${ID}\b` },
  // A string in a type is a member of a literal union (an enum).
  'literal-union-member': {
    name: 'string.quoted.double.literal-union.flow',
    begin: '"',
    beginCaptures: { 0: { name: 'punctuation.definition.string.begin.flow' } },
    end: '(")|$',
    endCaptures: { 1: { name: 'punctuation.definition.string.end.flow' } },
    patterns: include('escapes'),
  },
  'type-operators': {
    patterns: [
      { name: 'keyword.operator.union.flow', match: String.raw`\|` },
      { name: 'keyword.operator.optional.flow', match: String.raw`\?` },
    ],
  },
  'record-type': bracketed({
    open: '{',
    close: '}',
    scope: 'meta.type.record.flow',
    punctuation: 'punctuation.section.braces',
    recovery: TYPE_RECOVERY,
    patterns: include('comments', 'field-definition', 'type'),
  }),
  'list-type': bracketed({
    open: '[',
    close: ']',
    scope: 'meta.type.list.flow',
    punctuation: 'punctuation.section.brackets',
    recovery: TYPE_RECOVERY,
    patterns: include('type'),
  }),
  'paren-type': bracketed({
    open: '(',
    close: ')',
    scope: 'meta.type.group.flow',
    punctuation: 'punctuation.section.parens',
    recovery: TYPE_RECOVERY,
    patterns: include('type'),
  }),
  // `name: T`, `name?: T` or `"quoted name": T` in a record type.
  'field-definition': {
    match: String.raw`(?:\b(${ID})|("(?:[^"\\]|\\.)*"))\s*(\?)?\s*(:)`,
    captures: {
      1: { name: 'variable.other.member.flow' },
      2: { name: 'variable.other.member.flow string.quoted.double.flow' },
      3: { name: 'keyword.operator.optional.flow' },
      4: { name: 'punctuation.separator.key-value.flow' },
    },
  },
  parameters: {
    name: 'meta.parameters.flow',
    begin: String.raw`\(`,
    beginCaptures: { 0: { name: 'punctuation.definition.parameters.begin.flow' } },
    end: String.raw`(\))|(?=->)|${TYPE_RECOVERY}`,
    endCaptures: { 1: { name: 'punctuation.definition.parameters.end.flow' } },
    patterns: [...include('comments'), key(ID, 'variable.parameter.flow'), ...include('type')],
  },
  // `-> T` in an item's head. It ends before the `{` or `=` that follows a
  // complete type; a `{` right after the arrow opens a record type instead.
  'return-type': {
    name: 'meta.return-type.flow',
    begin: '->',
    beginCaptures: { 0: { name: 'keyword.operator.arrow.flow' } },
    end: String.raw`(?<=[A-Za-z0-9_\]})"?])\s*(?=[{=])|^\s*(?=\{)|${TYPE_RECOVERY}`,
    patterns: include('type'),
  },

  // --------------------------------------------------------------- items
  'type-item': {
    name: 'meta.item.type.flow',
    begin: String.raw`\b(type)\s+(${ID})`,
    beginCaptures: {
      1: { name: 'storage.type.type.flow' },
      2: { name: 'entity.name.type.flow' },
    },
    end: ahead(ITEM_LINE),
    patterns: include('comments', 'assignment', 'type', 'block-close'),
  },
  'worker-item': {
    name: 'meta.item.worker.flow',
    begin: String.raw`\b(worker)\s+(${ID})`,
    beginCaptures: {
      1: { name: 'storage.type.worker.flow' },
      2: { name: 'entity.name.function.worker.flow' },
    },
    end: ahead(ITEM_LINE),
    patterns: include('comments', 'parameters', 'return-type', 'worker-body'),
  },
  'transformer-item': {
    name: 'meta.item.transformer.flow',
    begin: String.raw`\b(transformer)\s+(${ID})`,
    beginCaptures: {
      1: { name: 'storage.type.transformer.flow' },
      2: { name: 'entity.name.function.transformer.flow' },
    },
    end: ahead(ITEM_LINE),
    patterns: include('comments', 'parameters', 'return-type', 'transformer-expression', 'worker-body'),
  },
  'workflow-item': {
    name: 'meta.item.workflow.flow',
    begin: String.raw`\b(workflow)\s+(${ID})`,
    beginCaptures: {
      1: { name: 'storage.type.workflow.flow' },
      2: { name: 'entity.name.function.workflow.flow' },
    },
    end: ahead(ITEM_LINE),
    patterns: include('comments', 'parameters', 'return-type', 'workflow-body'),
  },
  import: { name: 'keyword.control.import.flow', match: kw('import') },

  // The body of a worker or an external transformer: executor blocks and
  // settings. It ends where the next item starts (see the top of the file).
  'worker-body': {
    name: 'meta.block.worker.flow',
    begin: String.raw`\{`,
    beginCaptures: { 0: { name: 'punctuation.section.block.begin.flow' } },
    end: ahead(ITEM_LINE),
    patterns: include('comments', 'executor', 'settings', 'expression', 'block-close'),
  },
  // The expression of a pure transformer.
  'transformer-expression': {
    name: 'meta.block.transformer.flow',
    begin: '=',
    beginCaptures: { 0: { name: 'keyword.operator.assignment.flow' } },
    end: ahead(ITEM_LINE),
    patterns: include('expression'),
  },
  executor: {
    name: 'meta.executor.flow',
    begin: String.raw`\b(?:(${EXECUTORS.join('|')})|(${ID}))\s*(\{)`,
    beginCaptures: {
      1: { name: 'support.type.executor.flow' },
      2: { name: 'variable.other.executor.flow' },
      3: { name: 'punctuation.section.block.begin.flow' },
    },
    end: String.raw`(\})|${ahead(WORKER_SETTING_LINE, ITEM_LINE)}`,
    endCaptures: { 1: { name: 'punctuation.section.block.end.flow' } },
    patterns: [
      ...include('comments'),
      key(EXECUTOR_SETTINGS.join('|'), 'keyword.other.setting.flow'),
      key(ID, 'variable.other.setting.flow'),
      ...include('expression'),
    ],
  },

  // Settings: `key: value` in a worker, state, branch or workflow. A known
  // key is a keyword; any other key is shown as a plain name, since the
  // checker will refuse it.
  settings: {
    patterns: [
      ...include('hook-setting', 'retry-on-setting'),
      key(SETTINGS.join('|'), 'keyword.other.setting.flow'),
      key(ID, 'variable.other.setting.flow'),
    ],
  },
  // `before: t` and `after: t` name a transformer.
  'hook-setting': {
    match: String.raw`\b(before|after)\s*(:)\s*(${ID})\b(?!\s*[(.\[?])`,
    captures: {
      1: { name: 'keyword.other.setting.flow' },
      2: { name: 'punctuation.separator.key-value.flow' },
      3: { name: 'entity.name.function.transformer.flow' },
    },
  },
  // `retry_on: [timeout, transient]` lists failure classes.
  'retry-on-setting': {
    name: 'meta.setting.retry-on.flow',
    begin: String.raw`\b(retry_on)\s*(:)\s*(\[)`,
    beginCaptures: {
      1: { name: 'keyword.other.setting.flow' },
      2: { name: 'punctuation.separator.key-value.flow' },
      3: { name: 'punctuation.section.brackets.begin.flow' },
    },
    end: String.raw`(\])|${ahead(String.raw`\}`, SETTING_LINE, STATE_LINE, TRANSITION_LINE, BRANCH_LINE, ITEM_LINE)}`,
    endCaptures: { 1: { name: 'punctuation.section.brackets.end.flow' } },
    patterns: include('comments', 'failure-class', 'expression'),
  },
  'failure-class': {
    name: 'support.constant.failure-class.flow',
    match: String.raw`\b${oneOf(FAILURE_CLASSES)}\b`,
  },
  // `start: state` names the first state.
  'start-setting': {
    match: String.raw`\b(start)\s*(:)\s*(${ID})\b`,
    captures: {
      1: { name: 'keyword.other.setting.flow' },
      2: { name: 'punctuation.separator.key-value.flow' },
      3: { name: 'entity.name.label.state.flow' },
    },
  },

  // ----------------------------------------------------------- workflows
  // A workflow's body: settings and states. Like a worker's body, it ends
  // where the next item starts, so that a stray `}` between two states
  // leaves the states after it intact.
  'workflow-body': {
    name: 'meta.block.workflow.flow',
    begin: String.raw`\{`,
    beginCaptures: { 0: { name: 'punctuation.section.block.begin.flow' } },
    end: ahead(ITEM_LINE),
    patterns: include(
      'comments', 'step-state', 'parallel-state', 'map-state', 'succeed-state', 'fail-state',
      'transition', 'start-setting', 'settings', 'expression', 'block-close',
    ),
  },
  // `step name = Worker(args) { ... }`. A state ends at an unmatched `}`
  // (the workflow's own), or where a state, transition, workflow setting
  // or item starts on a new line.
  'step-state': state('step', include('comments', 'assignment', 'worker-call', 'state-body')),
  'map-state': state('map', include('comments', 'assignment', 'worker-call', 'map-source', 'state-body')),
  'parallel-state': state('parallel', include('comments', 'parallel-body')),
  'succeed-state': state('succeed', include('comments', 'assignment', 'expression')),
  'fail-state': state('fail', include('comments', 'assignment', 'expression')),
  // The worker called by a step, a branch or a map: named arguments only.
  'worker-call': call(ID, 'entity.name.function.worker.flow', 'meta.function-call.worker.flow'),
  // `for item in expr` of a map state, up to its body.
  'map-source': {
    name: 'meta.map-source.flow',
    begin: String.raw`\b(for)\s+(${ID})\s+(in)\b`,
    beginCaptures: {
      1: { name: 'keyword.other.state.for.flow' },
      2: { name: 'variable.parameter.flow' },
      3: { name: 'keyword.other.state.in.flow' },
    },
    end: ahead(String.raw`[{}]`, STATE_LINE, TRANSITION_LINE, ITEM_LINE),
    patterns: include('expression'),
  },
  'state-body': {
    name: 'meta.block.state.flow',
    begin: String.raw`\{`,
    beginCaptures: { 0: { name: 'punctuation.section.block.begin.flow' } },
    end: String.raw`(\})|${ahead(STATE_LINE, ITEM_LINE)}`,
    endCaptures: { 1: { name: 'punctuation.section.block.end.flow' } },
    patterns: include('comments', 'transition', 'settings', 'expression'),
  },
  'parallel-body': {
    name: 'meta.block.parallel.flow',
    begin: String.raw`\{`,
    beginCaptures: { 0: { name: 'punctuation.section.block.begin.flow' } },
    end: String.raw`(\})|${ahead(STATE_LINE, ITEM_LINE)}`,
    endCaptures: { 1: { name: 'punctuation.section.block.end.flow' } },
    patterns: include('comments', 'branch', 'transition', 'settings', 'expression'),
  },
  branch: {
    name: 'meta.branch.flow',
    begin: String.raw`\b(branch)\s+(${ID})`,
    beginCaptures: {
      1: { name: 'keyword.other.state.branch.flow' },
      2: { name: 'entity.name.label.branch.flow' },
    },
    end: ahead(String.raw`[},]`, BRANCH_LINE, TRANSITION_LINE, SETTING_LINE, STATE_LINE, ITEM_LINE),
    patterns: include('comments', 'assignment', 'worker-call', 'branch-body'),
  },
  'branch-body': {
    name: 'meta.block.branch.flow',
    begin: String.raw`\{`,
    beginCaptures: { 0: { name: 'punctuation.section.block.begin.flow' } },
    end: String.raw`(\})|${ahead(BRANCH_LINE, TRANSITION_LINE, STATE_LINE, ITEM_LINE)}`,
    endCaptures: { 1: { name: 'punctuation.section.block.end.flow' } },
    patterns: include('comments', 'settings', 'expression'),
  },

  // `on_success [when cond] -> target` and
  // `on_failure [class, ...] [when cond] -> target`.
  transition: { patterns: include('on-success', 'on-failure') },
  'on-success': transition('on_success', 'on-success', include('comments', 'when', 'expression')),
  'on-failure': transition('on_failure', 'on-failure', include('comments', 'failure-condition', 'failure-class', 'expression')),
  when: { name: 'keyword.control.transition.when.flow', match: kw('when') },
  // In an `on_failure` condition, `error` is the failure.
  'failure-condition': {
    name: 'meta.condition.flow',
    begin: kw('when'),
    beginCaptures: { 1: { name: 'keyword.control.transition.when.flow' } },
    end: ahead('->', String.raw`\}`, TRANSITION_LINE, SETTING_LINE, BRANCH_LINE, STATE_LINE, ITEM_LINE),
    patterns: include('in-failure-expression'),
  },
};

// `error` is a language variable in every expression of a workflow: in an
// `on_failure` condition the failure being routed, elsewhere the failure
// routed most recently. In workers and transformers it is an ordinary
// (unknown) name.
const ERROR_VARIABLE = {
  name: 'variable.language.error.flow',
  match: String.raw`\berror\b(?!\s*:)`,
};

// `in-failure-expression` is `expression` with `error` as a language
// variable, down to the groups, calls and interpolations nested in it: every
// rule reachable from `expression` that leads back to it gets an
// `in-failure-` copy that leads back to `in-failure-expression` instead.
Object.assign(repository, variant('in-failure', 'expression', ERROR_VARIABLE));

// The rest of a workflow's states use `in-workflow-` copies in the same
// way: the rules only workflows reach include the copies instead.
Object.assign(repository, variant('in-workflow', 'expression', ERROR_VARIABLE));
for (const name of [
  'workflow-body', 'step-state', 'map-state', 'parallel-state', 'succeed-state',
  'fail-state', 'worker-call', 'map-source', 'state-body', 'parallel-body', 'branch',
  'branch-body', 'on-success', 'on-failure',
]) {
  repository[name] = retarget(repository[name], 'in-workflow');
}

/** `rule` with its includes of rules that have a `${prefix}-` copy pointed at the copies. */
function retarget(rule, prefix) {
  if (Array.isArray(rule)) return rule.map((r) => retarget(r, prefix));
  if (rule && typeof rule === 'object') {
    return Object.fromEntries(Object.entries(rule).map(([k, v]) => {
      const copy = k === 'include' && `${prefix}-${v.slice(1)}`;
      return [k, copy && repository[copy] ? `#${copy}` : retarget(v, prefix)];
    }));
  }
  return rule;
}

/**
 * Copies, named `${prefix}-${rule}`, of `root` and of every rule reachable
 * from it that leads back to it, whose includes of such rules point to the
 * copies; the copy of `root` tries `first` before its own patterns.
 */
function variant(prefix, root, first) {
  const includes = (rule) => JSON.stringify(rule).match(/"#[^"]+"/g)?.map((s) => s.slice(2, -1)) ?? [];
  // The rules reachable from `root`...
  const reachable = new Set([root]);
  for (const name of reachable) for (const next of includes(repository[name])) reachable.add(next);
  // ...that lead back to it.
  const reaches = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const name of reachable) {
      if (!reaches.has(name) && includes(repository[name]).some((n) => reaches.has(n))) {
        reaches.add(name);
        grew = true;
      }
    }
  }
  const rename = (value) => {
    if (Array.isArray(value)) return value.map(rename);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [
        k,
        k === 'include' && reaches.has(v.slice(1)) ? `#${prefix}-${v.slice(1)}` : rename(v),
      ]));
    }
    return value;
  };
  const copies = {};
  for (const name of reaches) copies[`${prefix}-${name}`] = rename(repository[name]);
  copies[`${prefix}-${root}`].patterns.unshift(first);
  return copies;
}

// A state ends at a `}` or a `,` of its own (not one inside its brackets),
// or where something else starts on a new line.
function stateEnd() {
  return ahead(String.raw`[},]`, STATE_LINE, TRANSITION_LINE, SETTING_LINE, ITEM_LINE);
}

function state(keyword, patterns) {
  return {
    name: `meta.state.${keyword}.flow`,
    begin: String.raw`\b(${keyword})\s+(${ID})`,
    beginCaptures: {
      1: { name: `keyword.other.state.${keyword}.flow` },
      2: { name: 'entity.name.label.state.flow' },
    },
    end: stateEnd(),
    patterns,
  };
}

function transition(keyword, scopeWord, patterns) {
  return {
    name: 'meta.transition.flow',
    begin: kw(keyword),
    beginCaptures: { 1: { name: `keyword.control.transition.${scopeWord}.flow` } },
    end: String.raw`(->)\s*(${ID})?|${ahead(String.raw`\}`, TRANSITION_LINE, SETTING_LINE, BRANCH_LINE, STATE_LINE, ITEM_LINE)}`,
    endCaptures: {
      1: { name: 'keyword.operator.arrow.flow' },
      2: { name: 'entity.name.label.state.flow' },
    },
    patterns,
  };
}

/** Drops keys whose value is undefined, so that the JSON stays tidy. */
function tidy(value) {
  if (Array.isArray(value)) return value.map(tidy);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, tidy(v)]),
    );
  }
  return value;
}

export const grammar = tidy({
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'flow',
  scopeName: 'source.flow',
  fileTypes: ['flow'],
  comment: 'Generated by scripts/build-grammar.mjs from scripts/grammar.mjs: edit that file, then run `npm run build`.',
  patterns: include(
    'comments', 'import', 'type-item', 'worker-item', 'transformer-item',
    'workflow-item', 'expression', 'block-close',
  ),
  repository,
});
