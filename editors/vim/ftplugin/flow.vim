" Vim filetype plugin
" Language:    flow (workflow files, *.flow)
" Maintainer:  the flow project

if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

let s:cpo_save = &cpo
set cpo&vim

" `gc`-style commenting and `gq` use line comments; `///` is listed before
" `//` so that a doc comment continues as a doc comment on the next line.
setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,:///,://
" Wrap and continue comments, never code.
setlocal formatoptions-=t formatoptions+=croql

" Indent by two spaces, as every example and the language reference do.
setlocal expandtab shiftwidth=2 softtabstop=2

" `gf` on "common/workers.flow" in an import.
setlocal suffixesadd=.flow

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions<'
      \ . ' expandtab< shiftwidth< softtabstop< suffixesadd<'

let &cpo = s:cpo_save
unlet s:cpo_save
