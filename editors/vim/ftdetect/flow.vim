" Detect flow workflow files.
autocmd BufNewFile,BufRead *.flow setfiletype flow
