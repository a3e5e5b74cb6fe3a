" Headless tests of the Vim files in editors/vim, for Vim and Neovim.
"
" run.sh starts the editor with `-u NONE -es -S test.vim` and three
" environment variables: FLOW_VIM_PLUGIN (editors/vim), FLOW_VIM_REPO (the
" repository) and FLOW_VIM_RESULT (the report to write). This script writes
" one line per group of checks to the report ("ok ..." or "FAIL ..." with
" the failures below it), then quits with :qa! when everything passed and
" with :cquit (a non-zero exit status) otherwise.
"
" Token positions are given as patterns rather than line and column numbers:
" the first match of the pattern in the buffer, at its `\zs` if it has one,
" is the position checked. A pattern that matches nothing is a failure.

set nocompatible
let &runtimepath = escape($FLOW_VIM_PLUGIN, '\,') . ',' . &runtimepath
filetype plugin indent on
syntax on

let s:here = $FLOW_VIM_PLUGIN . '/test'
let s:examples = $FLOW_VIM_REPO . '/examples'
let s:results = []
let s:failed = 0
let s:section = ''
let s:section_checks = 0
let s:section_failures = []

function! s:Begin(name) abort
  let s:section = a:name
  let s:section_checks = 0
  let s:section_failures = []
endfunction

function! s:End() abort
  if empty(s:section_failures)
    call add(s:results, printf('ok    %-34s %3d checks', s:section, s:section_checks))
  else
    call add(s:results, printf('FAIL  %-34s %3d of %d checks failed', s:section,
          \ len(s:section_failures), s:section_checks))
    call extend(s:results, map(copy(s:section_failures), '"        " . v:val'))
    let s:failed += len(s:section_failures)
  endif
endfunction

function! s:Check(ok, message) abort
  let s:section_checks += 1
  if !a:ok
    call add(s:section_failures, a:message)
  endif
endfunction

function! s:Equal(what, got, want) abort
  call s:Check(a:got ==# a:want, printf('%s: got %s, want %s', a:what, string(a:got), string(a:want)))
endfunction

" Opens a file freshly, as a user would: filetype detection, ftplugin,
" indent and syntax all run through their autocommands.
function! s:Open(path) abort
  silent! %bwipeout!
  execute 'silent edit ' . fnameescape(a:path)
endfunction

" The standard highlight group that a flow group links to: the first group
" in its chain of links that is not a flow group ("" when it links to
" nothing). synIDtrans() would go on to the end of the chain, where String
" and Number both become Constant in the default colours; this tells them
" apart.
function! s:Link(group) abort
  let group = a:group
  let seen = 0
  while group =~# '^flow' && seen < 10
    let seen += 1
    let listing = execute('highlight ' . group)
    let group = matchstr(listing, 'links to \zs\w\+')
  endwhile
  return group
endfunction

" The syntax group at the first match of pattern, and the standard highlight
" group it links to.
function! s:Syn(pattern, group, linked) abort
  call cursor(1, 1)
  let [lnum, col] = searchpos(a:pattern, 'cnW')
  if lnum == 0
    call s:Check(0, printf('pattern %s not found in %s', string(a:pattern), expand('%:t')))
    return
  endif
  let id = synID(lnum, col, 1)
  let got = synIDattr(id, 'name')
  let got_linked = got ==# '' ? '' : s:Link(got)
  let where = printf('%s:%d:%d %s', expand('%:t'), lnum, col, string(a:pattern))
  " The chain must also end where the standard group's does (a link to a
  " group that does not exist would not).
  let same_colour = got ==# ''
        \ || (a:linked ==# '' ? synIDtrans(id) == id : synIDtrans(id) == synIDtrans(hlID(a:linked)))
  call s:Check(got ==# a:group && got_linked ==# a:linked && same_colour,
        \ printf('%s: got %s -> %s, want %s -> %s', where, got, got_linked, a:group, a:linked))
endfunction

" Removes the indentation of every line that does not start inside a
" triple-quoted string or a block comment (those keep theirs on purpose).
function! s:Flatten() abort
  for lnum in range(1, line('$'))
    let names = join(map(synstack(lnum, 1), 'synIDattr(v:val, "name")'))
    if names !~# 'flowTripleString\|flowBlockComment'
      call setline(lnum, substitute(getline(lnum), '^\s\+', '', ''))
    endif
  endfor
endfunction

" Compares the buffer with a list of lines, reporting the first difference.
function! s:SameLines(what, want) abort
  let got = getline(1, '$')
  let n = max([len(got), len(a:want)])
  for i in range(n)
    let g = get(got, i, '<missing>')
    let w = get(a:want, i, '<missing>')
    if g !=# w
      call s:Check(0, printf('%s, line %d: got %s, want %s', a:what, i + 1, string(g), string(w)))
      return
    endif
  endfor
  call s:Check(1, '')
endfunction

function! s:TestFiletype() abort
  call s:Begin('ftdetect and ftplugin')
  call s:Open(s:examples . '/build_website.flow')
  call s:Equal('filetype of build_website.flow', &filetype, 'flow')
  call s:Equal('b:current_syntax', get(b:, 'current_syntax', ''), 'flow')
  call s:Equal('commentstring', &l:commentstring, '// %s')
  call s:Check(&l:comments =~# ':///,.*://', 'comments lists /// before //: ' . &l:comments)
  call s:Check(&l:comments =~# 's1:/\*,mb:\*,ex:\*/', 'comments has the block comment: ' . &l:comments)
  call s:Equal('shiftwidth', &l:shiftwidth, 2)
  call s:Equal('softtabstop', &l:softtabstop, 2)
  call s:Equal('expandtab', &l:expandtab, 1)
  call s:Equal('indentexpr', &l:indentexpr, 'GetFlowIndent(v:lnum)')
  call s:Check(!empty(get(b:, 'undo_ftplugin', '')), 'b:undo_ftplugin is set')
  call s:Check(!empty(get(b:, 'undo_indent', '')), 'b:undo_indent is set')
  " Leaving the filetype runs the undo commands (to a filetype without
  " files of its own, which could set the same options again).
  setlocal filetype=flow_test_none
  call s:Equal('commentstring after b:undo_ftplugin', &l:commentstring, &g:commentstring)
  call s:Equal('comments after b:undo_ftplugin', &l:comments, &g:comments)
  call s:Equal('shiftwidth after b:undo_ftplugin', &l:shiftwidth, &g:shiftwidth)
  call s:Equal('indentexpr after b:undo_indent', &l:indentexpr, '')
  call s:Open(s:here . '/highlight.flow')
  call s:Equal('filetype of test/highlight.flow', &filetype, 'flow')
  call s:End()
endfunction

function! s:TestExampleSyntax() abort
  call s:Begin('syntax: examples/build_website.flow')
  call s:Open(s:examples . '/build_website.flow')
  call s:Syn('^\zs// build_website', 'flowComment', 'Comment')
  call s:Syn('^\zs/// One page', 'flowDocComment', 'SpecialComment')
  call s:Syn('^\zstype Page', 'flowItem', 'Structure')
  call s:Syn('^type \zsPage', 'flowTypeDef', 'Type')
  call s:Syn('^\zsworker ProductManager', 'flowItem', 'Structure')
  call s:Syn('^worker \zsProductManager', 'flowFuncDef', 'Function')
  call s:Syn('^  path: \zsstring', 'flowBuiltinType', 'Type')
  call s:Syn('pages: \[\zsPage\]', 'flowType', 'Type')
  call s:Syn('^  \zsllm {', 'flowExecutor', 'Keyword')
  call s:Syn('^    \zsmodel: "gpt', 'flowSetting', 'Identifier')
  call s:Syn('model: \zs"gpt-4o-mini"', 'flowString', 'String')
  call s:Syn('prompt: """\n\s*\zsWrite', 'flowTripleString', 'String')
  call s:Syn('specification for: \zs\${goal}', 'flowInterpolationDelimiter', 'Delimiter')
  call s:Syn('specification for: \${\zsgoal}', 'flowTripleInterpolation', 'Special')
  call s:Syn('^    \zstemperature: 0.2', 'flowSetting', 'Identifier')
  call s:Syn('temperature: \zs0\.2', 'flowNumber', 'Number')
  call s:Syn('^  \zstimeout: 60s', 'flowSetting', 'Identifier')
  call s:Syn('timeout: \zs60s', 'flowDuration', 'Number')
  call s:Syn('backoff: \zs1s\.\.30s', 'flowRange', 'Number')
  call s:Syn('backoff: 1s\zs\.\.30s', 'flowRange', 'Number')
  call s:Syn('retry_on: \[\zstimeout', 'flowFailureClass', 'Constant')
  call s:Syn('retry_on: \[timeout, \zstransient', 'flowFailureClass', 'Constant')
  call s:Syn('"Bearer \zs\${env', 'flowInterpolationDelimiter', 'Delimiter')
  call s:Syn('"Bearer \${\zsenv(', 'flowBuiltinFunc', 'Function')
  call s:Syn('"Bearer \${env(\zs"REVIEW_TOKEN"', 'flowString', 'String')
  call s:Syn('"Bearer \${env("\zsREVIEW_TOKEN"', 'flowString', 'String')
  call s:Syn('"Bearer \${env("REVIEW_TOKEN")\zs}"', 'flowInterpolationDelimiter', 'Delimiter')
  call s:Syn('"Bearer \${env("REVIEW_TOKEN")}\zs"', 'flowString', 'String')
  call s:Syn('^  \zsstart: create_specs', 'flowSetting', 'Identifier')
  call s:Syn('start: \zscreate_specs', 'flowTarget', 'Label')
  call s:Syn('^  \zsstep create_specs', 'flowState', 'Statement')
  call s:Syn('^  step \zscreate_specs', 'flowStateDef', 'Label')
  call s:Syn('= \zsProductManager(goal', 'flowCall', 'Function')
  call s:Syn('ProductManager(\zsgoal: goal', 'flowField', '')
  call s:Syn('^    \zson_success when len', 'flowTransition', 'Conditional')
  call s:Syn('on_success \zswhen len', 'flowKeyword', 'Keyword')
  call s:Syn('pages) \zs== 0', 'flowOperator', 'Operator')
  call s:Syn('== 0 \zs-> no_pages', 'flowTransArrow', 'Operator')
  call s:Syn('-> \zsno_pages', 'flowTarget', 'Label')
  call s:Syn('on_failure -> \zsfailed', 'flowTarget', 'Label')
  call s:Syn('^\s*on_failure \zslimit', 'flowFailureClass', 'Constant')
  call s:Syn('on_failure \zstimeout -> review_code', 'flowFailureClass', 'Constant')
  call s:Syn('run_tests\zs?\.failures', 'flowOperator', 'Operator')
  call s:Syn('run_tests?\.failures \zs??', 'flowOperator', 'Operator')
  call s:Syn('create_specs\.\zstitle', 'flowMember', '')
  call s:Syn(') \zs-> Spec {', 'flowArrow', 'Operator')
  call s:Syn(') -> \zsSpec {', 'flowType', 'Type')
  call s:Syn('specification for \zs\\"', 'flowEscape', 'SpecialChar')
  call s:Syn('max_steps: \zs100', 'flowNumber', 'Number')
  call s:End()
endfunction

function! s:TestFixtureSyntax() abort
  call s:Begin('syntax: test/highlight.flow')
  call s:Open(s:here . '/highlight.flow')
  " Comments.
  call s:Syn('\zsTODO', 'flowTodo', 'Todo')
  call s:Syn('^\zs//// four', 'flowComment', 'Comment')
  call s:Syn('^/// \zsA record', 'flowDocComment', 'SpecialComment')
  call s:Syn('that nests \*/ \zsand goes on', 'flowBlockComment', 'Comment')
  call s:Syn('and goes on \*\zs/', 'flowBlockComment', 'Comment')
  call s:Syn('goes on \*/ \zstype', 'flowItem', 'Structure')
  " Reserved words as field names, after `.` and as failure classes.
  call s:Syn('^  \zstype: string', 'flowField', '')
  call s:Syn('fetch\.\zstype !=', 'flowMember', '')
  call s:Syn('on_failure \zsworker ->', 'flowFailureClass', 'Constant')
  " Types.
  call s:Syn('count\zs?: int', 'flowOperator', 'Operator')
  call s:Syn('kind: \zs"small"', 'flowString', 'String')
  call s:Syn('"small" \zs|', 'flowOperator', 'Operator')
  call s:Syn('maybe: \[\zsThing\]', 'flowType', 'Type')
  call s:Syn('\zsint$', 'flowBuiltinType', 'Type')
  " Strings: interpolation with a nested string, escapes, triple quotes.
  call s:Syn('?q=\zs\${join', 'flowInterpolationDelimiter', 'Delimiter')
  call s:Syn('\${join(\zsxs', 'flowInterpolation', 'Special')
  call s:Syn('join(xs, \zs", "', 'flowString', 'String')
  call s:Syn('join(xs, ", \zs")}"', 'flowString', 'String')
  call s:Syn('join(xs, ", ")\zs}"', 'flowInterpolationDelimiter', 'Delimiter')
  call s:Syn('join(xs, ", ")}\zs"', 'flowString', 'String')
  call s:Syn('"!\zs\\n', 'flowEscape', 'SpecialChar')
  call s:Syn('\zs\\u{1F600}', 'flowEscape', 'SpecialChar')
  call s:Syn('\\u{1F600}\zs\\\$', 'flowEscape', 'SpecialChar')
  call s:Syn('\zs\\q', 'flowEscapeError', 'Error')
  call s:Syn('and say \zs"hi"', 'flowTripleString', 'String')
  call s:Syn('^\s*\zsworker Lookalike', 'flowTripleString', 'String')
  call s:Syn('\${upper(\zs"loud"', 'flowString', 'String')
  call s:Syn('\${\zsupper("loud"', 'flowBuiltinFunc', 'Function')
  call s:Syn('^\s*\zs"""$', 'flowTripleString', 'String')
  call s:Syn('^    \zstemperature: 0.5', 'flowSetting', 'Identifier')
  " Numbers, durations, ranges, literals.
  call s:Syn('timeout: \zs250ms', 'flowDuration', 'Number')
  call s:Syn('\zs1s\.\.30s', 'flowRange', 'Number')
  call s:Syn('n: \zs1e3', 'flowNumber', 'Number')
  call s:Syn('?? \zs-7', 'flowOperator', 'Operator')
  call s:Syn('?? -\zs7', 'flowNumber', 'Number')
  call s:Syn('bad: \zs5d', 'flowBadNumber', 'Error')
  call s:Syn('ok: \zstrue', 'flowBoolean', 'Boolean')
  call s:Syn('none: \zsnull', 'flowNull', 'Constant')
  " Failure classes, conditions and targets.
  call s:Syn('retry_on: \[timeout, transient, \zsoutput', 'flowFailureClass', 'Constant')
  call s:Syn('on_failure \zstimeout, transient', 'flowFailureClass', 'Constant')
  call s:Syn('on_failure timeout, \zstransient', 'flowFailureClass', 'Constant')
  call s:Syn('transient \zswhen error', 'flowKeyword', 'Keyword')
  call s:Syn('attempts \zs> 2', 'flowOperator', 'Operator')
  call s:Syn('> 2 -> \zsgave_up', 'flowTarget', 'Label')
  call s:Syn('fetch\zs?\.count ??', 'flowOperator', 'Operator')
  call s:Syn('\zs>= 3', 'flowOperator', 'Operator')
  call s:Syn('\zs&& fetch', 'flowOperator', 'Operator')
  call s:Syn('"x" -> \zswrite', 'flowTarget', 'Label')
  call s:Syn('start: \zsfetch', 'flowTarget', 'Label')
  " `if ... then ... else ...`; the words as keys and fields are names.
  call s:Syn('label: \zsif n > 5', 'flowConditional', 'Conditional')
  call s:Syn('n > 5 \zsthen "pass"', 'flowConditional', 'Conditional')
  call s:Syn('"pass" \zselse if', 'flowConditional', 'Conditional')
  call s:Syn('"pass" else \zsif n > 2', 'flowConditional', 'Conditional')
  call s:Syn('keys: { \zsif: r', 'flowField', '')
  call s:Syn('r\.\zsif,', 'flowMember', '')
  call s:Syn(', \zselse: r', 'flowField', '')
  call s:Syn('r?\.\zselse }', 'flowMember', '')
  " Calls: `string(x)` and `number(x)` are functions, not types.
  call s:Syn('goal: \zsstring(fetch', 'flowBuiltinFunc', 'Function')
  call s:Syn('+ \zsnumber("3', 'flowBuiltinFunc', 'Function')
  call s:Syn('text: \zsshout(write)', 'flowCall', 'Function')
  " An unterminated string stops at the end of its line.
  call s:Syn('"\zsunterminated', 'flowString', 'String')
  call s:Syn('^  \zsfail after_bad', 'flowState', 'Statement')
  call s:Syn('^  fail \zsafter_bad', 'flowStateDef', 'Label')
  call s:Syn('after_bad = "\zs\${goal', 'flowString', 'String')
  call s:Syn('^  \zsfail after_interp', 'flowState', 'Statement')
  call s:Syn('after_interp = \zs"fine"', 'flowString', 'String')
  call s:Syn('"fine\zs"', 'flowString', 'String')
  call s:Syn('^\zs}\%$', '', '')
  call s:End()
endfunction

" Syncing: the first lines asked about are deep inside a long triple-quoted
" string and a long block comment, so the highlighting there depends on
" where `syn sync` starts parsing.
function! s:TestSync() abort
  call s:Begin('syntax: syncing')
  silent! %bwipeout!
  enew
  setlocal filetype=flow
  let lines = ['worker Long(goal: string) -> string {', '  llm {', '    prompt: """']
  for i in range(300)
    call add(lines, printf('      step fake_%d = Worker(x: "%d) {  // not code', i, i))
  endfor
  call extend(lines, ['      """', '  }', '}', '', '  /*'])
  for i in range(300)
    call add(lines, printf('    on_success -> "fake_%d', i))
  endfor
  call extend(lines, ['  */', 'type After = int'])
  call setline(1, lines)
  call s:Syn('fake_290 = \zsWorker', 'flowTripleString', 'String')
  call s:Syn('"fake_29\zs9', 'flowBlockComment', 'Comment')
  call s:Syn('^\zstype After', 'flowItem', 'Structure')
  call s:Syn('^\zs}$', '', '')
  call s:End()
endfunction

function! s:TestIndent() abort
  call s:Begin('indent: test/indent-input.flow')
  call s:Open(s:here . '/indent-input.flow')
  call s:Check(getline(1, '$') !=# readfile(s:here . '/indent-expected.flow'),
        \ 'indent-input.flow differs from indent-expected.flow before indenting')
  silent normal! gg=G
  call s:SameLines('gg=G on indent-input.flow', readfile(s:here . '/indent-expected.flow'))
  call s:End()

  call s:Begin('indent: examples, flattened')
  for path in sort(glob(s:examples . '/*.flow', 0, 1))
    call s:Open(path)
    let want = getline(1, '$')
    call s:Flatten()
    call s:Check(getline(1, '$') !=# want, fnamemodify(path, ':t') . ' was not flattened')
    silent normal! gg=G
    call s:SameLines('gg=G on flattened ' . fnamemodify(path, ':t'), want)
  endfor
  call s:End()

  call s:Begin('indent: typing')
  silent! %bwipeout!
  enew
  setlocal filetype=flow
  call setline(1, ['workflow w(x: string) -> string {', '  step a = W(x: x) {'])
  " `o` opens a line one level deeper after `{`; typing `}` at the start of
  " a line dedents it to its opening line (indentkeys).
  execute "normal! Goon_success -> b\<CR>}\<CR>succeed b = x ??\<CR>\"none\"\<CR>}\<Esc>"
  call s:SameLines('lines typed after a step header', [
        \ 'workflow w(x: string) -> string {',
        \ '  step a = W(x: x) {',
        \ '    on_success -> b',
        \ '  }',
        \ '  succeed b = x ??',
        \ '    "none"',
        \ '}'])
  call s:End()

  call s:Begin('indent: without syntax')
  syntax off
  call s:Open(s:examples . '/hello.flow')
  let want = getline(1, '$')
  %s/^\s\+//e
  silent normal! gg=G
  call s:SameLines('gg=G on flattened hello.flow with syntax off', want)
  syntax on
  call s:End()
endfunction

try
  call s:TestFiletype()
  call s:TestExampleSyntax()
  call s:TestFixtureSyntax()
  call s:TestSync()
  call s:TestIndent()
catch
  call add(s:results, 'FAIL  error in ' . s:section . ': ' . v:exception . ' at ' . v:throwpoint)
  let s:failed += 1
endtry

call writefile(s:results, $FLOW_VIM_RESULT)
if s:failed > 0
  cquit!
endif
qa!
