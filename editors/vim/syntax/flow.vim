" Vim syntax file
" Language:    flow (workflow files, *.flow)
" Maintainer:  the flow project
"
" The token set follows grammar/flow.pest and docs/language.md. Reserved
" words are matched with `syn match` rather than `syn keyword`: a keyword
" would win over every match, but reserved words may name record fields,
" arguments and settings (`type: string`, `r.map`), and those
" uses must not be coloured as keywords. Among matches that start at the same
" column the one defined last wins, which is why the order below matters.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
" ASCII identifiers only, as in the language: `\<` and `\>` below use this.
syn iskeyword 48-57,65-90,95,97-122

" ------------------------------------------------------------------ comments

syn keyword flowTodo contained TODO FIXME XXX NOTE
syn match flowComment "//.*" contains=flowTodo,@Spell
" `///` is a doc comment; `////` and longer are ordinary comments.
syn match flowDocComment "///\/\@!.*" contains=flowTodo,@Spell
" Block comments nest: the inner region consumes its own `*/`.
syn region flowBlockComment start="/\*" end="\*/" contains=flowBlockComment,flowTodo,@Spell fold

syn cluster flowComments contains=flowComment,flowDocComment,flowBlockComment

" ----------------------------------------------------------- literal values

" Digits running into other characters (`5d`, `1.5s`, `1_000`) are errors in
" the language; the valid forms below are defined later and so win.
syn match flowBadNumber "\<\d[[:alnum:]_.]*"
syn match flowNumber "\<\d\+\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=\>"
syn match flowDuration "\<\d\+\%(ms\|[smh]\)\>"
syn match flowRange "\<\d\+\%(ms\|[smh]\)\.\.\d\+\%(ms\|[smh]\)\>"

" ------------------------------------------------------------------- strings

" Every other escape is an error (flow::syntax::invalid_escape).
syn match flowEscapeError contained +\\.\|\\$+
syn match flowEscape contained +\\\%(["\\ntr$]\|u{\x\{1,6}}\)+

" An interpolation in a one-line string may not leave its line (`oneline`),
" so a `${` that is never closed cannot colour the lines after it. Braces
" inside it (a record literal) are balanced by flowInterpBraces.
syn region flowInterpolation contained oneline matchgroup=flowInterpolationDelimiter start=+\${+ end=+}+ contains=@flowExpr,flowInterpBraces
syn region flowInterpBraces contained transparent oneline matchgroup=flowBrace start=+{+ end=+}+ contains=@flowExpr,flowInterpBraces
" In a triple-quoted string an interpolation may span lines.
syn region flowTripleInterpolation contained matchgroup=flowInterpolationDelimiter start=+\${+ end=+}+ contains=@flowExpr,flowBraces

" A "..." string ends at its closing quote or at the end of its line: an
" unterminated string is an error there, and must not colour the rest of the
" file. Strings nested in an interpolation are flowString again.
syn region flowString start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ contains=flowEscape,flowEscapeError,flowInterpolation,@Spell
" Defined after flowString, so that `"""` starts a triple-quoted string.
syn region flowTripleString start=+"""+ end=+"""+ contains=flowEscape,flowEscapeError,flowTripleInterpolation,@Spell fold

" ------------------------------------------------- names, types and calls

syn match flowType "\<\u\w*\>"
syn match flowBuiltinType "\<\%(string\|number\|int\|bool\|json\)\>"
syn match flowCall "\<\h\w*\ze\s*("
" `string(x)` and `number(x)` are calls, not types: defined after the types.
syn match flowBuiltinFunc "\<\%(len\|lower\|upper\|trim\|contains\|join\|split\|keys\|to_json\|parse_json\|string\|number\|env\)\ze\s*("

" ----------------------------------------------------------------- operators

syn match flowOperator "||\|&&\|==\|!=\|<=\|>=\|??\|?\.\|[<>!+*%|?=-]\|/\%([/*]\)\@!"
syn match flowArrow "->"

" ------------------------------------------------------------ reserved words

syn match flowItem "\<import\>"
syn match flowItem "\<type\>" nextgroup=flowTypeDef skipwhite skipempty
syn match flowItem "\<\%(worker\|transformer\|workflow\)\>" nextgroup=flowFuncDef skipwhite skipempty
syn match flowTypeDef contained "\<\h\w*\>"
syn match flowFuncDef contained "\<\h\w*\>"

syn match flowState "\<\%(step\|parallel\|branch\|map\|succeed\|fail\)\>" nextgroup=flowStateDef skipwhite skipempty
syn match flowStateDef contained "\<\h\w*\>"

syn match flowKeyword "\<\%(for\|in\|when\)\>"
syn match flowConditional "\<\%(if\|then\|else\)\>"
syn match flowBoolean "\<\%(true\|false\)\>"
syn match flowNull "\<null\>"

" --------------------------------------------------------------- transitions
"
" on_success [when COND] -> target
" on_failure [class, class] [when COND] -> target
" The parts are chained with nextgroup, so the state after `->` is known to
" be a state (a `->` elsewhere is followed by a return type).

syn match flowTransition "\<on_success\>" nextgroup=flowCondition,flowTransArrow skipwhite skipnl
syn match flowTransition "\<on_failure\>" nextgroup=flowFailureClassOther,flowFailureClass,flowCondition,flowTransArrow skipwhite skipnl
" A misspelt class keeps the chain going (the checker reports it).
syn match flowFailureClassOther contained "\<\%(when\>\)\@!\h\w*" nextgroup=flowClassSep,flowCondition,flowTransArrow skipwhite skipnl
syn match flowFailureClass contained "\<\%(timeout\|transient\|worker\|output\|limit\)\>" nextgroup=flowClassSep,flowCondition,flowTransArrow skipwhite skipnl
syn match flowClassSep contained "," nextgroup=flowFailureClassOther,flowFailureClass skipwhite skipnl
" A condition ends before its `->` (or at the end of its line, so that a
" missing arrow cannot colour what follows).
syn region flowCondition contained matchgroup=flowKeyword start="\<when\>" end="\ze->" end="$" contains=@flowExpr nextgroup=flowTransArrow skipwhite skipnl
syn match flowTransArrow contained "->" nextgroup=flowTarget skipwhite skipnl
syn match flowTarget contained "\<\h\w*\>"

" ------------------------------------------------------------------ executors

syn match flowExecutor "\<\%(exec\|http\|llm\|human\|builtin\)\>\ze\s*{" nextgroup=flowExecBody skipwhite
syn region flowExecBody contained transparent matchgroup=flowBrace start="{" end="}" contains=flowSetting,flowField,flowBraces,@flowExpr
syn region flowBraces contained transparent matchgroup=flowBrace start="{" end="}" contains=flowField,flowBraces,@flowExpr

" ---------------------------------------------- fields, members and settings

" A name before `:` (or `?:`) is a field, parameter or argument name, even a
" reserved word; after `.` or `?.` it is a field too.
syn match flowField "\<\h\w*\ze?\=\s*:"
syn match flowMember "\.\@1<=\<\h\w*\>"

" Settings of workers, states and workflows.
syn match flowSetting "\<\%(timeout\|retries\|backoff\|concurrency\|before\|after\|max_visits\|max_concurrency\|max_steps\)\ze\s*:"
" `retry_on: [class, ...]`: the list holds failure classes.
syn match flowSetting "\<retry_on\ze\s*:" nextgroup=flowRetryColon skipwhite
syn match flowRetryColon contained ":" nextgroup=flowClassList skipwhite skipnl
syn region flowClassList contained transparent matchgroup=flowBrace start="\[" end="\]" contains=flowFailureClass,@flowComments
" `start: state`: the value is a state name.
syn match flowSetting "\<start\ze\s*:" nextgroup=flowStartColon skipwhite
syn match flowStartColon contained ":" nextgroup=flowTarget skipwhite skipnl
" Settings of executors (`exec { command: [...] }`), only inside their block.
syn match flowSetting contained "\<\%(command\|env\|cwd\|url\|method\|headers\|model\|prompt\|system\|base_url\|api_key\|temperature\|name\|query\|max_retry_after\)\ze\s*:"

" Everything that may stand inside an expression.
syn cluster flowExpr contains=@flowComments,flowString,flowTripleString,flowBadNumber,flowNumber,flowDuration,flowRange,flowType,flowBuiltinType,flowCall,flowBuiltinFunc,flowOperator,flowKeyword,flowConditional,flowBoolean,flowNull,flowField,flowMember

" ------------------------------------------------------------------- syncing
"
" A line that starts an item at column 0 is outside every string and
" comment; the display is parsed from the nearest one above (as python.vim
" does with `def` and `class`). Within long workflows or after a long triple
" string, at most maxlines are searched.
syn sync match flowSync grouphere NONE "^\%(import\s\+\"\|\%(type\|worker\|transformer\|workflow\)\s\+\h\w*\s*[({=]\)"
syn sync match flowSync grouphere NONE "^}\s*$"
syn sync minlines=50 maxlines=500

" ---------------------------------------------------------------- highlights

hi def link flowTodo                   Todo
hi def link flowComment                Comment
hi def link flowBlockComment           Comment
hi def link flowDocComment             SpecialComment
hi def link flowBadNumber              Error
hi def link flowNumber                 Number
hi def link flowDuration               Number
hi def link flowRange                  Number
hi def link flowEscape                 SpecialChar
hi def link flowEscapeError            Error
hi def link flowString                 String
hi def link flowTripleString           String
hi def link flowInterpolation          Special
hi def link flowTripleInterpolation    flowInterpolation
hi def link flowInterpolationDelimiter Delimiter
hi def link flowType                   Type
hi def link flowBuiltinType            Type
hi def link flowTypeDef                Type
hi def link flowCall                   Function
hi def link flowBuiltinFunc            Function
hi def link flowFuncDef                Function
hi def link flowOperator               Operator
hi def link flowArrow                  Operator
hi def link flowTransArrow             Operator
hi def link flowItem                   Structure
hi def link flowState                  Statement
hi def link flowStateDef               Label
hi def link flowTarget                 Label
hi def link flowKeyword                Keyword
hi def link flowConditional            Conditional
hi def link flowTransition             Conditional
hi def link flowBoolean                Boolean
hi def link flowNull                   Constant
hi def link flowFailureClass           Constant
hi def link flowExecutor               Keyword
hi def link flowSetting                Identifier

let b:current_syntax = 'flow'

let &cpo = s:cpo_save
unlet s:cpo_save
