// Expands a VS Code snippet body the way the editor does when the user
// accepts every default: a placeholder becomes its default text, a choice
// its first option, a tab stop or mirror the default of the placeholder with
// the same number. Only the parts of the snippet syntax that
// snippets/flow.json may use are accepted; anything else (variables,
// transformations) is an error, so that a snippet the test cannot read
// fails instead of passing unread.

/** Parses `text` into a tree of `{ kind, ... }` nodes. */
export function parseSnippet(text) {
  let pos = 0;

  const fail = (what) => {
    throw new Error(`snippet syntax: ${what} at offset ${pos} of ${JSON.stringify(text)}`);
  };

  // `inside` is the character that ends the current sequence: '}' in a
  // placeholder, null at the top.
  function sequence(inside) {
    const nodes = [];
    let literal = '';
    const flush = () => {
      if (literal) nodes.push({ kind: 'text', text: literal });
      literal = '';
    };
    while (pos < text.length) {
      const c = text[pos];
      if (c === '\\' && pos + 1 < text.length && '$}\\'.includes(text[pos + 1])) {
        literal += text[pos + 1];
        pos += 2;
      } else if (c === '$') {
        flush();
        nodes.push(dollar());
      } else if (c === '}' && inside === '}') {
        flush();
        return nodes;
      } else {
        literal += c;
        pos += 1;
      }
    }
    if (inside) fail(`unclosed placeholder (expected ${inside})`);
    flush();
    return nodes;
  }

  function number() {
    const m = /^\d+/.exec(text.slice(pos));
    if (!m) fail('expected a tab stop number');
    pos += m[0].length;
    return Number(m[0]);
  }

  function dollar() {
    pos += 1; // '$'
    if (/\d/.test(text[pos] ?? '')) return { kind: 'tabstop', index: number() };
    if (text[pos] !== '{') fail('a variable or a lone "$" (write "\\$")');
    pos += 1;
    if (!/\d/.test(text[pos] ?? '')) fail('a variable (not supported here)');
    const index = number();
    const c = text[pos];
    if (c === '}') {
      pos += 1;
      return { kind: 'tabstop', index };
    }
    if (c === ':') {
      pos += 1;
      const children = sequence('}');
      pos += 1; // '}'
      return { kind: 'placeholder', index, children };
    }
    if (c === '|') {
      pos += 1;
      const options = [];
      let option = '';
      while (pos < text.length) {
        const d = text[pos];
        if (d === '\\' && pos + 1 < text.length && ',|\\'.includes(text[pos + 1])) {
          option += text[pos + 1];
          pos += 2;
        } else if (d === ',') {
          options.push(option);
          option = '';
          pos += 1;
        } else if (d === '|' && text[pos + 1] === '}') {
          options.push(option);
          pos += 2;
          return { kind: 'choice', index, options };
        } else {
          option += d;
          pos += 1;
        }
      }
      fail('unclosed choice');
    }
    return fail(`unexpected ${JSON.stringify(c)} after a tab stop number`);
  }

  return sequence(null);
}

/** The text the snippet inserts when every default is accepted. */
export function expandSnippet(body) {
  const text = Array.isArray(body) ? body.join('\n') : body;
  const tree = parseSnippet(text);

  // The default of each numbered placeholder or choice, found first, so that
  // a mirror placed before its placeholder still gets the text.
  const defaults = new Map();
  const collect = (nodes) => {
    for (const node of nodes) {
      if (node.kind === 'placeholder') {
        if (!defaults.has(node.index)) defaults.set(node.index, node);
        collect(node.children);
      } else if (node.kind === 'choice' && !defaults.has(node.index)) {
        defaults.set(node.index, node);
      }
    }
  };
  collect(tree);

  const render = (nodes, seen) => nodes.map((node) => {
    switch (node.kind) {
      case 'text':
        return node.text;
      case 'placeholder':
        return render(node.children, seen);
      case 'choice':
        return node.options[0];
      case 'tabstop': {
        const source = defaults.get(node.index);
        if (!source) return '';
        if (seen.has(node.index)) throw new Error(`tab stop $${node.index} mirrors itself`);
        return source.kind === 'choice'
          ? source.options[0]
          : render(source.children, new Set([...seen, node.index]));
      }
      default:
        throw new Error(`unknown snippet node ${node.kind}`);
    }
  }).join('');

  return render(tree, new Set());
}
