" Vim's ALE on `flow lsp`, headless: run by test/ale.sh, whose vimrc sources
" the ALE block of editors/vim/README.md, in a copy of tests/lsp_e2e/fixtures. Each check waits for ALE, which talks to the
" server asynchronously, up to a deadline; the results go to FLOW_ALE_RESULT
" one line each, and Vim exits non-zero when any failed.

let s:results = []
let s:failed = 0

function! s:Check(ok, what) abort
  call add(s:results, (a:ok ? 'ok    ' : 'FAIL  ') . a:what)
  if !a:ok
    let s:failed = 1
  endif
endfunction

" Waits up to ten seconds for a:condition (an expression) to hold; `sleep`
" lets Vim read the server's messages meanwhile.
function! s:WaitFor(condition) abort
  let l:left = 200
  while l:left > 0 && !eval(a:condition)
    sleep 50m
    let l:left -= 1
  endwhile
  return eval(a:condition)
endfunction

function! s:Problems() abort
  return ale#engine#GetLoclist(bufnr(''))
endfunction

" A misspelt state is reported where it is, with its code.
edit unknown_state.flow
call s:Check(&filetype ==# 'flow', 'the filetype of unknown_state.flow is flow')
let s:got = s:WaitFor('!empty(s:Problems())')
let s:problem = s:got ? s:Problems()[0] : {}
call s:Check(get(s:problem, 'code', '') ==# 'flow::check::unknown_state'
      \ && get(s:problem, "lnum", 0) == 16 && get(s:problem, 'col', 0) == 19,
      \ 'the unknown state is reported at 16:19 with its code: ' . string(s:problem))
call s:Check(get(s:problem, 'text', '') =~# 'did you mean `done`',
      \ 'the message suggests `done`: ' . get(s:problem, 'text', ''))

" Fixed, it goes.
%substitute/-> dnoe/-> done/
ALELint
call s:Check(s:WaitFor('empty(s:Problems())'), 'the diagnostic goes once the state is fixed: ' . string(s:Problems()))

" Go to definition: from a transition to its state.
edit! greet.flow
call cursor(13, 20)
call s:Check(expand('<cword>') ==# 'again', 'the cursor is on the transition to `again`')
ALEGoToDefinition
call s:Check(s:WaitFor('line(".") == 16'), 'ALEGoToDefinition jumps to `step again` on line 16 (at ' . line('.') . ':' . col('.') . ')')

call writefile(s:results, $FLOW_ALE_RESULT)
if s:failed
  cquit!
endif
qall!
