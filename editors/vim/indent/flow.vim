" Vim indent file
" Language:    flow (workflow files, *.flow)
" Maintainer:  the flow project
"
" The rules, in order:
" - a line inside a triple-quoted string or a block comment keeps its indent
"   (the text of a triple-quoted string is the user's);
" - a line that starts with `)`, `]` or `}` lines up with the line of the
"   bracket it closes;
" - after a line that leaves a bracket open, one level more;
" - a line that continues an expression (the line before ends with an
"   operator, `=`, `:`, `if`, `then` or `else`, or this line starts with an
"   operator such as `??`, or with `then` or `else`) is one level deeper
"   than the line it continues;
" - otherwise the indent of the statement the previous line belongs to.
" Brackets and operators inside strings and comments do not count; the
" syntax items of syntax/flow.vim tell them apart when syntax is on, and a
" simpler textual rule does when it is off.

if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal indentexpr=GetFlowIndent(v:lnum)
setlocal indentkeys=0},0),0],!^F,o,O,e
setlocal autoindent nolisp nosmartindent nocindent

let b:undo_indent = 'setlocal indentexpr< indentkeys< autoindent< lisp< smartindent< cindent<'

if exists('*GetFlowIndent')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" How far back a bracket or a statement start is looked for: a workflow may
" hold thousands of states, and indenting one line must stay quick.
let s:search_lines = 5000
let s:search_ms = 300

" The code of a line: a string of the same length in bytes where comment
" text is blank, string text (escapes and interpolations included) is `s`
" and code is as written. Cached for one GetFlowIndent call.
function! s:Code(lnum) abort
  if has_key(s:cache, a:lnum)
    return s:cache[a:lnum]
  endif
  let line = getline(a:lnum)
  if s:use_syntax
    " A string or comment can only begin or end at a `"` or `/` (`*/` ends
    " with one), or at the start of the line when it continues from the
    " line before, so the syntax is asked only there and just after.
    let n = len(line)
    let out = ''
    let done = 0
    let kind = n > 0 ? s:Kind(a:lnum, 1) : 'c'
    let i = match(line, '["/]')
    while i >= 0
      let out .= s:Fill(strpart(line, done, i - done), kind)
      let out .= s:Fill(line[i], s:Kind(a:lnum, i + 1))
      let done = i + 1
      if done < n
        let kind = s:Kind(a:lnum, done + 1)
      endif
      let i = match(line, '["/]', done)
    endwhile
    let out .= s:Fill(strpart(line, done), kind)
  else
    let out = substitute(line, '"\%([^"\\]\|\\.\)*"', '\=repeat("s", len(submatch(0)))', 'g')
    let out = substitute(out, '//.*', '\=repeat(" ", len(submatch(0)))', '')
  endif
  let s:cache[a:lnum] = out
  return out
endfunction

function! s:Fill(text, kind) abort
  return a:kind ==# 'c' ? a:text : repeat(a:kind ==# 's' ? 's' : ' ', len(a:text))
endfunction

" `x` in a comment, `s` in a string, `c` in code.
function! s:Kind(lnum, col) abort
  let names = join(map(synstack(a:lnum, a:col), 'synIDattr(v:val, "name")'), ' ')
  if names =~# 'Comment\|Todo'
    return 'x'
  elseif names =~# 'String'
    return 's'
  endif
  return 'c'
endfunction

" The skip expression of searchpairpos(): brackets outside code.
function! s:Masked() abort
  let code = s:Code(line('.'))
  return code[col('.') - 1] !~# '[()[\]{}]'
endfunction

" Whether line lnum starts inside a triple-quoted string or a block comment
" that began on an earlier line.
function! s:Continues(lnum) abort
  if !s:use_syntax || a:lnum <= 1
    return 0
  endif
  let line = getline(a:lnum)
  if line =~# '^\%("""\|/\*\)'
    return 0
  endif
  let names = join(map(synstack(a:lnum, 1), 'synIDattr(v:val, "name")'), ' ')
  return names =~# 'flowTripleString\|flowBlockComment'
endfunction

" The line where the multi-line string or comment covering lnum starts.
function! s:RegionStart(lnum) abort
  let l = a:lnum
  while l > 1 && s:Continues(l)
    let l = prevnonblank(l - 1)
  endwhile
  return l
endfunction

function! s:CodeRange(first, last) abort
  return join(map(range(a:first, a:last), 's:Code(v:val)'), ' ')
endfunction

" The closest lines before lnum that hold code, as [first, last]: a string
" or comment spanning lines is one piece. [0, 0] when there is none.
function! s:PrevCode(lnum) abort
  let p = prevnonblank(a:lnum - 1)
  while p > 0
    let first = s:RegionStart(p)
    if s:CodeRange(first, p) =~# '\S'
      return [first, p]
    endif
    let p = prevnonblank(first - 1)
  endwhile
  return [0, 0]
endfunction

" `if`, `then` and `else` join the parts of a conditional as operators do
" (but `else: 1` is a key).
function! s:EndsWithOp(code) abort
  return a:code =~# '\%(??\|||\|&&\|[-+*/%=<>|:]\|\.\@1<!\<\%(if\|then\|else\)\)\s*$'
endfunction

function! s:StartsWithOp(code) abort
  return a:code =~# '^\s*\%(??\|||\|&&\|==\|!=\|<=\|>=\|->\|?\.\|[<>+*/%|.]\|-\s\|\%(then\|else\)\>\%(\s*[:?]\)\@!\)'
endfunction

" The position of the bracket that the closing bracket at (lnum, col) closes,
" as [line, col]; [0, 0] when there is none.
function! s:MatchOpen(lnum, col) abort
  let ch = getline(a:lnum)[a:col - 1]
  let pair = {')': ['(', ')'], ']': ['\[', '\]'], '}': ['{', '}']}
  if !has_key(pair, ch)
    return [0, 0]
  endif
  let view = winsaveview()
  call cursor(a:lnum, a:col)
  let pos = searchpairpos(pair[ch][0], '', pair[ch][1], 'bnW', 's:Masked()',
        \ max([1, a:lnum - s:search_lines]), s:search_ms)
  call winrestview(view)
  return pos
endfunction

" Brackets in the lines first..last, the closing ones that start the first
" line excepted (that line is already indented for them). Returns the number
" left open and the position of the last closing bracket without an opening
" one in the range ([] when none).
function! s:Brackets(first, last) abort
  let depth = 0
  let unmatched = []
  for l in range(a:first, a:last)
    let code = s:Code(l)
    let i = l == a:first ? matchend(code, '^[[:space:])\]}]*') : 0
    while 1
      let i = match(code, '[()[\]{}]', i)
      if i < 0
        break
      endif
      if code[i] =~# '[([{]'
        let depth += 1
      elseif depth > 0
        let depth -= 1
      else
        let unmatched = [l, i + 1]
      endif
      let i += 1
    endwhile
  endfor
  return [depth, unmatched]
endfunction

" Whether line lnum continues an expression begun on an earlier line.
function! s:IsContinuation(lnum) abort
  if s:StartsWithOp(s:Code(a:lnum))
    return 1
  endif
  let [first, last] = s:PrevCode(a:lnum)
  return first > 0 && s:EndsWithOp(s:CodeRange(first, last))
endfunction

" Whether line lnum is the second or a later line of an operator chain
" (`a ?? b` over lines), so that the next line of the chain lines up with it.
" A line after a trailing `=` or `:` starts an expression instead: the next
" operator line goes one level deeper.
function! s:IsChained(lnum) abort
  if s:StartsWithOp(s:Code(a:lnum))
    return 1
  endif
  let [first, last] = s:PrevCode(a:lnum)
  let code = first > 0 ? s:CodeRange(first, last) : ''
  return s:EndsWithOp(code) && code !~# '\%([^=!<>]=\|:\)\s*$'
endfunction

" The first line of the statement that line lnum belongs to: back over
" continued expressions and from a closing bracket to its opening one.
function! s:StmtStart(lnum) abort
  let l = s:RegionStart(a:lnum)
  let steps = 0
  while steps < 1000
    let steps += 1
    let code = s:Code(l)
    let c = match(code, '\S')
    if c >= 0 && code[c] =~# '[)\]}]'
      let [ol, oc] = s:MatchOpen(l, c + 1)
      if ol > 0 && ol < l
        let l = s:RegionStart(ol)
        continue
      endif
      return l
    endif
    if s:IsContinuation(l)
      let l = s:PrevCode(l)[0]
      continue
    endif
    return l
  endwhile
  return l
endfunction

function! GetFlowIndent(lnum) abort
  let s:cache = {}
  let s:use_syntax = has('syntax_items') && get(b:, 'current_syntax', '') ==# 'flow'

  if s:Continues(a:lnum)
    return -1
  endif
  let [first, last] = s:PrevCode(a:lnum)
  if first == 0
    return 0
  endif
  let sw = shiftwidth()
  let cur = s:Code(a:lnum)
  let closes = cur =~# '^\s*[)\]}]'

  if closes
    let [ol, oc] = s:MatchOpen(a:lnum, match(cur, '\S') + 1)
    if ol > 0
      return indent(s:RegionStart(ol))
    endif
  endif

  let [depth, unmatched] = s:Brackets(first, last)
  if !empty(unmatched)
    " The previous line closed a bracket opened further up: continue at the
    " statement that opened it.
    let [ol, oc] = s:MatchOpen(unmatched[0], unmatched[1])
    let ind = indent(ol > 0 ? s:StmtStart(ol) : first)
    let ind += depth > 0 ? sw : 0
  elseif depth > 0
    let ind = indent(first) + sw
  elseif s:EndsWithOp(s:CodeRange(first, last)) || s:StartsWithOp(cur)
    let ind = indent(first) + (s:IsChained(first) ? 0 : sw)
  else
    let ind = indent(s:StmtStart(first))
  endif
  return closes ? max([0, ind - sw]) : ind
endfunction

let &cpo = s:cpo_save
unlet s:cpo_save
