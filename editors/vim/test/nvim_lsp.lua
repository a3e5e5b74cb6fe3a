-- Neovim's own LSP client on `flow lsp`, headless: the configuration that
-- editors/vim/README.md gives for Neovim 0.7 (run as it is written there),
-- then what a user does in a .flow buffer, each checked: diagnostics on
-- open and after an edit, the outline (document symbols), formatting
-- (<leader>f), the message for a missing binary, and shutdown.
--
-- lsp.sh starts `nvim --headless -u NONE` on this file in a scratch copy of
-- tests/lsp_e2e/fixtures, with `flow` on PATH and these variables:
-- FLOW_VIM_PLUGIN (editors/vim), FLOW_NVIM_SNIPPET (the README's block),
-- FLOW_BIN (the binary), FLOW_NVIM_EMPTY (a directory with no flow) and
-- FLOW_NVIM_RESULT (the report: one line per check, "ok ..." or
-- "FAIL ..." with the reason under it). Exits 0 when all passed, 1 if not.

local TIMEOUT_MS = 10000
local results, failures = {}, 0
local notifications = {}

local function step(name, fn)
  local ok, err = pcall(fn)
  if ok then
    table.insert(results, 'ok    ' .. name)
  else
    failures = failures + 1
    table.insert(results, 'FAIL  ' .. name)
    for line in tostring(err):gmatch('[^\n]+') do
      table.insert(results, '        ' .. line)
    end
  end
end

local function finish()
  local file = assert(io.open(os.getenv('FLOW_NVIM_RESULT'), 'w'))
  file:write(table.concat(results, '\n'), '\n')
  file:close()
  vim.cmd(failures == 0 and 'qall!' or 'cquit!')
end

local function wait_for(what, condition)
  if not vim.wait(TIMEOUT_MS, condition, 20) then
    error(('timed out after %d s waiting for %s'):format(TIMEOUT_MS / 1000, what), 2)
  end
end

local function expect(what, got, want)
  if not vim.deep_equal(got, want) then
    error(('%s:\n  got  %s\n  want %s'):format(what, vim.inspect(got), vim.inspect(want)), 2)
  end
end

--- The (1-based line, 0-based byte column) of `at` (default: `needle`) in
--- the first line of the current buffer that holds `needle`.
local function find(needle, at)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local start = line:find(needle, 1, true)
    if start then
      local inner = at and (needle:find(at, 1, true) - 1) or 0
      return lnum, start - 1 + inner
    end
  end
  error(('%q is not in %s'):format(needle, vim.api.nvim_buf_get_name(0)), 2)
end

local function cursor_to(needle, at)
  local lnum, col = find(needle, at)
  vim.api.nvim_win_set_cursor(0, { lnum, col })
end

local function lines()
  return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

--- `text_lines` with every whole word `old` outside `//` comments made `new`.
local function replace_word(text_lines, old, new)
  local out = {}
  for _, line in ipairs(text_lines) do
    local code, comment = line, ''
    local at = line:find('//', 1, true)
    if at then
      code, comment = line:sub(1, at - 1), line:sub(at)
    end
    code = code:gsub('%f[%w_]' .. old .. '%f[^%w_]', new)
    table.insert(out, code .. comment)
  end
  return out
end

local function flow_client(bufnr)
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr or 0)) do
    if client.name == 'flow' then
      return client
    end
  end
  return nil
end

--- Opens `file` as a user would (filetype detection runs the snippet's
--- autocommand) and waits until the flow client is attached and running.
local function open(file)
  vim.cmd('silent edit ' .. vim.fn.fnameescape(file))
  expect('filetype of ' .. file, vim.bo.filetype, 'flow')
  wait_for('the flow client to attach to ' .. file, function()
    local client = flow_client()
    return client ~= nil and client.initialized == true
  end)
  return flow_client()
end

--- Fails unless the flow client of the buffer announces `capability`.
local function needs(capability)
  local client = flow_client()
  if not (client and client.server_capabilities[capability]) then
    error(('the server does not announce %s'):format(capability), 2)
  end
end

--- Types `keys` (a mapping of the full snippet), or, for the short snippet
--- that maps nothing, calls `fn`, what the mapping runs.
local function press(keys, fn)
  if os.getenv('FLOW_NVIM_CORE') == '1' then
    fn()
  else
    vim.cmd('normal ' .. keys)
  end
end

local function floating_windows()
  local found = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      table.insert(found, win)
    end
  end
  return found
end

vim.notify = function(message, level)
  table.insert(notifications, { message = message, level = level })
end

vim.opt.runtimepath:prepend(os.getenv('FLOW_VIM_PLUGIN'))
vim.cmd('filetype plugin indent on')
vim.o.hidden = true
local flow = os.getenv('FLOW_BIN')

local core = os.getenv('FLOW_NVIM_CORE') == '1'

step('the README\'s Neovim 0.7 configuration loads', function()
  dofile(os.getenv('FLOW_NVIM_SNIPPET'))
  expect('FileType autocommands for flow', #vim.api.nvim_get_autocmds({ event = 'FileType', pattern = 'flow' }), 1)
end)

step('a .flow buffer starts and attaches `flow lsp`', function()
  local client = open('unknown_state.flow')
  expect('the client\'s command', client.config.cmd, { 'flow', 'lsp' })
  local capabilities = client.server_capabilities
  for _, name in ipairs({ 'documentFormattingProvider', 'documentSymbolProvider' }) do
    if not capabilities[name] then
      error(name .. ' is not announced: ' .. vim.inspect(capabilities))
    end
  end
end)

step('diagnostics on open: the unknown state, where it is', function()
  wait_for('diagnostics', function()
    return #vim.diagnostic.get(0) > 0
  end)
  local diagnostics = vim.diagnostic.get(0)
  expect('number of diagnostics', #diagnostics, 1)
  local d = diagnostics[1]
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  expect('code', code, 'flow::check::unknown_state')
  expect('severity', d.severity, vim.diagnostic.severity.ERROR)
  local lnum, col = find('on_success -> dnoe', 'dnoe')
  expect('position (0-based line, column)', { d.lnum, d.col, d.end_col }, { lnum - 1, col, col + 4 })
  if not d.message:find('unknown state `dnoe`', 1, true) then
    error('message: ' .. d.message)
  end
end)

step('diagnostics after an edit: fixing the state clears them', function()
  local lnum = find('on_success -> dnoe')
  local line = vim.api.nvim_buf_get_lines(0, lnum - 1, lnum, false)[1]
  vim.api.nvim_buf_set_lines(0, lnum - 1, lnum, false, { (line:gsub('dnoe', 'done')) })
  wait_for('the diagnostics to go', function()
    return #vim.diagnostic.get(0) == 0
  end)
end)

step('document symbols: the outline in the quickfix list', function()
  open('greet.flow')
  vim.lsp.buf.document_symbol()
  -- Neovim 0.7 puts them in the quickfix list (later ones in the location
  -- list, with `loclist = true`), and opens it.
  local texts
  wait_for('the list of symbols', function()
    texts = {}
    local items = vim.fn.getqflist()
    if #items == 0 then
      items = vim.fn.getloclist(0)
    end
    for _, item in ipairs(items) do
      table.insert(texts, item.text)
    end
    return #texts > 0
  end)
  local joined = table.concat(texts, '\n')
  for _, name in ipairs({ 'Echo', 'hello', 'greet', 'again', 'done' }) do
    if not joined:find('%f[%w_]' .. name .. '%f[^%w_]') then
      error(('no symbol %s in the outline:\n%s'):format(name, joined))
    end
  end
  vim.cmd('cclose')
  vim.cmd('lclose')
end)

step('hover (K) on a worker shows its signature', function()
  open('greet.flow')
  needs('hoverProvider')
  cursor_to('step greet = Echo(', 'Echo')
  -- The README's full configuration maps K; the short one maps nothing.
  if vim.fn.maparg('K', 'n') ~= '' then
    vim.cmd('normal K')
  else
    vim.lsp.buf.hover()
  end
  local text
  wait_for('a hover window', function()
    for _, win in ipairs(floating_windows()) do
      text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), '\n')
      if text:find('Echo', 1, true) then
        return true
      end
    end
    return false
  end)
  if not text:find('greeting: string', 1, true) then
    error('the hover does not show the signature:\n' .. text)
  end
  for _, win in ipairs(floating_windows()) do
    vim.api.nvim_win_close(win, true)
  end
end)

step('go to definition (gd) of a transition target jumps to its state', function()
  needs('definitionProvider')
  cursor_to('on_success -> again', 'again')
  local lnum, name_col = find('step again', 'again')
  local _, step_col = find('step again')
  if vim.fn.maparg('gd', 'n') ~= '' then
    vim.cmd('normal gd')
  else
    vim.lsp.buf.definition()
  end
  wait_for('the cursor to reach `step again`', function()
    return vim.api.nvim_win_get_cursor(0)[1] == lnum
  end)
  local col = vim.api.nvim_win_get_cursor(0)[2]
  if col ~= name_col and col ~= step_col then
    error(('the cursor is at column %d of the state\'s line, not at the state (%d or %d)'):format(col, step_col, name_col))
  end
end)

step('rename a state: every use in the buffer', function()
  needs('renameProvider')
  local before = lines()
  cursor_to('on_success -> again', 'again')
  vim.lsp.buf.rename('repeat')
  local want = replace_word(before, 'again', 'repeat')
  wait_for('the rename to be applied', function()
    return vim.deep_equal(lines(), want)
  end)
end)

step('format (<leader>f, or the function it maps) is flow fmt', function()
  open('unformatted.flow')
  local before = lines()
  local want = vim.fn.systemlist({ flow, 'fmt' }, before)
  expect('flow fmt\'s exit status', vim.v.shell_error, 0)
  if vim.deep_equal(want, before) then
    error('the fixture must need formatting')
  end
  press('\\f', vim.lsp.buf.format or vim.lsp.buf.formatting)
  wait_for('the buffer to be formatted', function()
    return vim.deep_equal(lines(), want)
  end)
end)

if not core then
  step('no flow on PATH: a message that says so, and no client', function()
    local path = vim.env.PATH
    vim.env.PATH = os.getenv('FLOW_NVIM_EMPTY')
    notifications = {}
    vim.cmd('silent edit ' .. vim.fn.fnameescape(vim.fn.tempname() .. '.flow'))
    vim.env.PATH = path
    expect('filetype', vim.bo.filetype, 'flow')
    expect('clients of the buffer', flow_client(), nil)
    expect('messages', notifications, {
      {
        message = 'flow lsp: `flow` is not an executable: install flow, or set flow_lsp.cmd in your config to the full path of the flow binary',
        level = vim.log.levels.ERROR,
      },
    })
  end)
end

step('the server stops when asked', function()
  -- One server for every .flow buffer of the working directory.
  local clients = vim.lsp.get_active_clients()
  expect('flow servers running', #clients, 1)
  vim.lsp.stop_client(clients)
  wait_for('the server to exit', function()
    for _, client in ipairs(clients) do
      if not vim.lsp.client_is_stopped(client.id) then
        return false
      end
    end
    return true
  end)
end)

finish()
