//! Parser tests over small inputs; whole files are covered by the fixture tests.

use super::*;

fn errors(source: &str) -> Vec<String> {
    parse(source).errors.iter().map(|e| e.to_string()).collect()
}

#[test]
fn design_example_parses() {
    let parsed = parse(include_str!(
        "../../tests/fixtures/syntax/design_example.flow"
    ));
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.file.items.len(), 7);
}

#[test]
fn errors_are_in_the_users_words() {
    let cases = [
        (
            "workflow w() -> string { step a = W(x: 1) { on_success done } succeed done = \"x\" }",
            "expected `->` after `on_success`, found `done`",
        ),
        (
            "workflow w() -> string { step a = W(x: 1) { on_success -> } }",
            "expected a name after `->`, found `}`",
        ),
        ("type T { a: }", "expected a type after `:`, found `}`"),
        (
            "workflow w() -> string { succeed done = 1 + }",
            "expected an expression after `+`, found `}`",
        ),
        (
            "workflow w() -> string {\n succeed done = \"abc\n }",
            "unterminated string",
        ),
    ];
    for (source, message) in cases {
        assert_eq!(errors(source), [message], "{source}");
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    for open in ["(", "[", "{", "\"${", "/*"] {
        let source = format!(
            "workflow w() -> string {{ succeed done = {} }}",
            open.repeat(100_000)
        );
        let parsed = parse(&source);
        assert!(
            parsed
                .errors
                .iter()
                .any(|e| matches!(e, SyntaxError::TooDeep { .. })),
            "{open}: {:?}",
            parsed.errors.first()
        );
    }
}

#[test]
fn long_operator_chains_are_refused_not_overflowing() {
    for op in ["!", "-", "x ?? "] {
        let source = format!(
            "workflow w() -> string {{ succeed done = {}x }}",
            op.repeat(100_000)
        );
        let parsed = parse(&source);
        assert!(
            parsed
                .errors
                .iter()
                .any(|e| matches!(e, SyntaxError::TooDeep { .. })),
            "{op}: {:?}",
            parsed.errors.first()
        );
    }
}

use ast::*;

/// The expression of `succeed done = <expr>` in a one-state workflow.
fn expr(text: &str) -> Expr {
    let source = format!("workflow w() -> json {{ succeed done = {text} }}");
    let parsed = parse(&source);
    assert!(parsed.errors.is_empty(), "{text}: {:?}", parsed.errors);
    match parsed.file.items.into_iter().next() {
        Some(Item::Workflow(w)) => match w.states.into_iter().next().map(|s| s.kind) {
            Some(StateKind::Succeed(e)) => e,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// A compact rendering of an expression tree, for asserting its shape.
fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Number(n) => format!("{n:?}"),
        ExprKind::String(s) => {
            let parts: Vec<String> = s
                .parts
                .iter()
                .map(|p| match p {
                    StringPart::Text(t) => format!("{t:?}"),
                    StringPart::Interp(e) => format!("${{{}}}", sexp(e)),
                })
                .collect();
            format!("(str {})", parts.join(" "))
        }
        ExprKind::Duration(d) => format!("{}ms", d.millis),
        ExprKind::DurationRange(a, b) => format!("{}ms..{}ms", a.millis, b.millis),
        ExprKind::List(items) => {
            format!("[{}]", items.iter().map(sexp).collect::<Vec<_>>().join(" "))
        }
        ExprKind::Record(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}: {}", e.key.name, sexp(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Name(n) => n.name.to_string(),
        ExprKind::Field {
            base,
            name,
            optional,
        } => format!(
            "({} {} {})",
            if *optional { "?." } else { "." },
            sexp(base),
            name.name
        ),
        ExprKind::Index { base, index } => format!("(index {} {})", sexp(base), sexp(index)),
        ExprKind::Call { callee, args } => format!(
            "(call {}{})",
            callee.name,
            args.iter()
                .map(|a| match &a.name {
                    Some(n) => format!(" {}: {}", n.name, sexp(&a.value)),
                    None => format!(" {}", sexp(&a.value)),
                })
                .collect::<String>()
        ),
        ExprKind::Unary { op, operand } => format!("({} {})", op.symbol(), sexp(operand)),
        ExprKind::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", op.symbol(), sexp(lhs), sexp(rhs))
        }
        ExprKind::Paren(inner) => format!("(paren {})", sexp(inner)),
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => format!(
            "(if {} {} {})",
            sexp(condition),
            sexp(then),
            sexp(otherwise)
        ),
    }
}

#[test]
fn operators_follow_the_designed_precedence() {
    let cases = [
        ("a || b && c", "(|| a (&& b c))"),
        ("a == b || c != d", "(|| (== a b) (!= c d))"),
        ("a < b == c >= d", "(== (< a b) (>= c d))"),
        ("a ?? b < c", "(< (?? a b) c)"),
        ("a ?? b ?? c", "(?? a (?? b c))"),
        ("a + b ?? c", "(?? (+ a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a + b * c % d", "(+ a (% (* b c) d))"),
        ("!a.b && -c[0]", "(&& (! (. a b)) (- (index c 0)))"),
        ("x?.y.z ?? []", "(?? (. (?. x y) z) [])"),
        ("(a + b) * c", "(* (paren (+ a b)) c)"),
        ("-7 - -2.5", "(- -7 -2.5)"),
        ("len(xs) > 0", "(> (call len xs) 0)"),
        ("f(a: 1, b: x.y)", "(call f a: 1 b: (. x y))"),
        ("1e3", "1000.0"),
        (
            "true && !false || null == x",
            "(|| (&& true (! false)) (== null x))",
        ),
    ];
    for (text, shape) in cases {
        assert_eq!(sexp(&expr(text)), shape, "{text}");
    }
}

#[test]
fn literals_lists_and_records() {
    let cases = [
        ("250ms", "250ms"),
        ("30s", "30000ms"),
        ("5m", "300000ms"),
        ("2h", "7200000ms"),
        ("1s..30s", "1000ms..30000ms"),
        ("[1, 2\n 3]", "[1 2 3]"),
        ("{ a: 1 \"b c\": x type: y }", "{a: 1, b c: x, type: y}"),
        ("r.type", "(. r type)"),
    ];
    for (text, shape) in cases {
        assert_eq!(sexp(&expr(text)), shape, "{text}");
    }
}

#[test]
fn strings_escape_and_interpolate() {
    let cases = [
        (
            r#""a\"b\\c\n\t\r\$\u{1F600}""#,
            "(str \"a\\\"b\\\\c\\n\\t\\r$😀\")",
        ),
        (
            r#""Bearer ${env("TOKEN")}""#,
            "(str \"Bearer \" ${(call env (str \"TOKEN\"))})",
        ),
        (r#""${a}${b}""#, "(str ${a} ${b})"),
        (
            r#""x ${ "y ${z}" } w""#,
            "(str \"x \" ${(str \"y \" ${z})} \" w\")",
        ),
        (r#""""#, "(str )"),
    ];
    for (text, shape) in cases {
        assert_eq!(sexp(&expr(text)), shape, "{text}");
    }
}

#[test]
fn triple_quoted_strings_lose_common_indentation() {
    let text = "\"\"\"\n      Write a spec for: ${goal}\n        - indented more\n\n      Thanks.\n      \"\"\"";
    assert_eq!(
        sexp(&expr(text)),
        "(str \"Write a spec for: \" ${goal} \"\\n  - indented more\\n\\nThanks.\")"
    );
    // An escaped tab is content, not indentation.
    let text = "\"\"\"\n    \\tx\n    y\"\"\"";
    assert_eq!(sexp(&expr(text)), "(str \"\\tx\\ny\")");
    // Quotes inside are fine; one right before the closing quotes is
    // written `\"`, as in Python.
    assert_eq!(
        sexp(&expr("\"\"\"say \"hi\" to \\\"them\\\"\"\"\"")),
        "(str \"say \\\"hi\\\" to \\\"them\\\"\")"
    );
}

#[test]
fn items_keep_docs_and_comments_are_collected() {
    let source = "/// A spec.\n/// Two lines.\ntype Spec {\n  /// The title.\n  title: string // trailing\n  pages?: [string]\n  kind: \"a\" | \"b\"\n  note: string?\n}\n/* block */\ntype Alias = [Spec]\n";
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Type(spec)) = parsed.file.items.first() else {
        panic!("{:?}", parsed.file.items)
    };
    assert_eq!(
        spec.docs.as_ref().map(|d| d.text.as_str()),
        Some("A spec.\nTwo lines.")
    );
    let TypeExprKind::Record(fields) = &spec.ty.kind else {
        panic!("{:?}", spec.ty)
    };
    assert_eq!(
        fields[0].docs.as_ref().map(|d| d.text.as_str()),
        Some("The title.")
    );
    assert!(fields[1].optional);
    assert!(matches!(fields[2].ty.kind, TypeExprKind::Union(ref m) if m.len() == 2));
    assert!(matches!(fields[3].ty.kind, TypeExprKind::Optional(_)));
    let comments: Vec<&str> = parsed
        .file
        .comments
        .iter()
        .map(|c| c.span.text(source))
        .collect();
    assert_eq!(comments, ["// trailing", "/* block */"]);
    assert!(matches!(
        parsed.file.items[1],
        Item::Type(TypeDef { alias: true, .. })
    ));
}

#[test]
fn states_and_transitions() {
    let source = r#"
workflow w(xs: [string]) -> json {
  start: b
  max_steps: 100,
  /// Doc on a state.
  step a = W(x: 1) {
    max_visits: 3
    on_success when a.ok == true -> b
    on_failure timeout, transient -> a
    on_failure when error.attempts > 2 -> f
    on_failure -> f
  }
  parallel b {
    branch one = W(x: 1) { timeout: 5s }
    branch two = W(x: 2)
    max_concurrency: 2
    on_success -> c
  }
  map c = W(x: item) for item in xs {
    on_success -> done
  }
  succeed done = c
  fail f = "failed"
}
"#;
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Workflow(w)) = parsed.file.items.first() else {
        panic!()
    };
    assert_eq!(w.settings.len(), 2);
    assert_eq!(w.states.len(), 5);
    assert_eq!(
        w.states[0].docs.as_ref().map(|d| d.text.as_str()),
        Some("Doc on a state.")
    );
    let StateKind::Step(step) = &w.states[0].kind else {
        panic!()
    };
    let t = &step.body.transitions;
    assert_eq!(t.len(), 4);
    assert_eq!(t[0].outcome, Outcome::Success);
    assert!(t[0].condition.is_some());
    let classes: Vec<&str> = t[1].classes.iter().map(|c| c.as_str()).collect();
    assert_eq!(classes, ["timeout", "transient"]);
    assert!(t[2].classes.is_empty() && t[2].condition.is_some());
    assert!(t[3].is_unconditional());
    let StateKind::Parallel(par) = &w.states[1].kind else {
        panic!()
    };
    assert_eq!(par.branches.len(), 2);
    assert_eq!(par.branches[0].settings.len(), 1);
    assert_eq!(par.body.settings.len(), 1);
    let StateKind::Map(map) = &w.states[2].kind else {
        panic!()
    };
    assert_eq!(map.var.name, "item");
    assert!(matches!(w.states[4].kind, StateKind::Fail(_)));
}

#[test]
fn workers_and_transformers() {
    let source = r#"
import "common.flow"
worker W(a: string, b: [int]?) -> { x: int } {
  exec { command: ["python3", "w.py"], env: { "K": "v" } }
  timeout: 30s, retries: 2
  backoff: 1s..30s
  retry_on: [timeout, transient]
  before: fix
}
transformer fix(r: { a: string, b: [int]? }) -> { a: string, b: [int]? } = { a: trim(r.a), b: r.b }
transformer ext(x: json) -> json { exec { command: ["hook"] } timeout: 5s }
"#;
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let items = &parsed.file.items;
    assert!(matches!(items[0], Item::Import(_)));
    let Item::Worker(w) = &items[1] else { panic!() };
    assert_eq!(w.params.len(), 2);
    assert_eq!(w.executors.len(), 1);
    assert_eq!(w.executors[0].kind.name, "exec");
    assert_eq!(w.executors[0].settings.len(), 2);
    assert_eq!(w.settings.len(), 5);
    assert!(matches!(
        items[2],
        Item::Transformer(Transformer {
            body: TransformerBody::Pure(_),
            ..
        })
    ));
    assert!(matches!(
        items[3],
        Item::Transformer(Transformer {
            body: TransformerBody::External { .. },
            ..
        })
    ));
}

#[test]
fn keywords_need_a_word_boundary() {
    // `typeT` is a name, so this is not a type definition.
    assert!(!parse("typeT { a: string }").errors.is_empty());
    // Reserved words cannot name things, but can name fields.
    assert_eq!(
        errors("worker step() -> string { builtin { name: \"echo\" } }"),
        ["`step` is a reserved word"]
    );
    assert!(parse("type T { type: string, map: int }").errors.is_empty());
}

#[test]
fn every_broken_item_is_reported() {
    let source =
        "type A { a: }\n\ntype B { b: string }\n\nworker W( -> string {}\n\ntype C { c: int }\n";
    let parsed = parse(source);
    assert_eq!(parsed.errors.len(), 2, "{:?}", parsed.errors);
    let names: Vec<&str> = parsed
        .file
        .items
        .iter()
        .filter_map(|i| i.name().map(|n| n.as_str()))
        .collect();
    assert_eq!(names, ["B", "C"]);
}

#[test]
fn an_error_near_the_end_of_a_long_file_is_found() {
    let item = "type T { a: string }\n";
    let mut source = item.repeat(20_000);
    source.push_str("type Broken { a: }\n");
    let parsed = parse(&source);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].offset(), item.len() * 20_000 + 17);
    assert_eq!(parsed.file.items.len(), 20_000);
}
#[test]
fn a_doc_comment_after_an_expression_is_not_a_division() {
    let source =
        "transformer a(x: int) -> int = x\n\n/// doc\ntransformer b(x: int) -> int = x / 2\n";
    assert_eq!(errors(source), Vec::<String>::new());
    assert_eq!(parse(source).file.items.len(), 2);
}

#[test]
fn spans_end_at_the_last_token_not_at_trailing_trivia() {
    let source = "worker W(a: string /* c */ , b: int?) -> string {\n  builtin { name: \"echo\" }\n}\nworkflow w() -> string {\n  succeed done = x.y // note\n  /* more */\n}\n";
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Item::Worker(worker) = &parsed.file.items[0] else {
        panic!()
    };
    assert_eq!(worker.params[0].ty.span.text(source), "string");
    assert_eq!(worker.params[0].span.text(source), "a: string");
    assert_eq!(worker.params[1].ty.span.text(source), "int?");
    let Item::Workflow(w) = &parsed.file.items[1] else {
        panic!()
    };
    let StateKind::Succeed(value) = &w.states[0].kind else {
        panic!()
    };
    assert_eq!(value.span.text(source), "x.y");
    assert_eq!(w.states[0].span.text(source), "succeed done = x.y");
}

/// A comment on the next line is not part of a node, also when the lines
/// end in `\r\n` or the comment has trailing spaces (its span runs to the
/// line break, past the end the node's trimming finds).
#[test]
fn spans_do_not_take_a_comment_on_the_next_line() {
    for source in [
        "worker W() -> string {\r\n  builtin { name: \"echo\" }\r\n  retries: 1\r\n  // c\r\n}\r\n",
        "worker W() -> string {\n  builtin { name: \"echo\" }\n  retries: 1\n  // c   \n}\n",
    ] {
        let parsed = parse(source);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let Item::Worker(w) = &parsed.file.items[0] else {
            panic!()
        };
        assert_eq!(w.settings[0].span.text(source), "retries: 1", "{source:?}");
    }
}

#[test]
fn parameters_may_be_called_by_reserved_words_that_mean_nothing_in_an_expression() {
    let source = "worker W(type: string, start: int, map: json, string: string) -> string {\n  llm { model: \"m\", prompt: \"${type} ${start} ${string}\" }\n}\nworkflow w(type: string, when: bool) -> string {\n  step s = W(type: type, start: 1, map: {}, string: type) {\n    on_success when when -> done\n  }\n  succeed done = type\n}\n";
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Workflow(w)) = parsed.file.items.get(1) else {
        panic!("{:?}", parsed.file.items)
    };
    assert_eq!(w.params[0].name.name, "type");
    // In an expression the word is a name, which the checker finds among the
    // parameters.
    let StateKind::Succeed(value) = &w.states[1].kind else {
        panic!()
    };
    assert!(matches!(&value.kind, ExprKind::Name(n) if n.name == "type"));
    // The literals stay literals, so they cannot be parameters.
    for word in ["true", "false", "null"] {
        assert_eq!(
            errors(&format!(
                "workflow w({word}: string) -> string {{ succeed done = \"x\" }}"
            )),
            [format!("`{word}` is a reserved word")]
        );
    }
    // Everything else keeps its rule: a reserved word names no state.
    assert_eq!(
        errors("workflow w() -> string { succeed start = \"x\" }"),
        ["`start` is a reserved word"]
    );
}

#[test]
fn reserved_words_parse_as_names_in_expressions() {
    // `worker` is also a failure class: the checker reads it from here.
    assert_eq!(
        errors("worker W() -> string { builtin { name: \"echo\" } retry_on: [worker] }"),
        Vec::<String>::new()
    );
}

#[test]
fn shape_strings_cannot_be_interpolated() {
    assert_eq!(
        errors("type U = \"a${x}\" | \"b\"\nimport \"${p}\""),
        [
            "a literal type cannot be interpolated",
            "an import path cannot be interpolated"
        ]
    );
}

#[test]
fn errors_point_where_the_token_is_missing() {
    let cases = [
        (
            "worker A() -> string { builtin { name: \"echo\" } }\nworkflow w() -> string {\n  step a A()\n  succeed d = \"x\"\n}\n",
            "expected `=` after `a`, found `A`",
        ),
        (
            "worker W(a string) -> string {}",
            "expected `:` after `a`, found `string`",
        ),
        (
            "workflow w() -> string { step a = W(x: 1) { on_success when -> b } }",
            "expected an expression after `when`, found `->`",
        ),
        (
            "workflow w() -> string { map m = W(x: i) for i xs { on_success -> b } }",
            "expected `in` after `i`, found `xs`",
        ),
    ];
    for (source, message) in cases {
        assert_eq!(errors(source), [message], "{source}");
    }
    // `->` also ends a signature, where the transition help would mislead.
    let parsed = parse("worker W(a: string) string {}");
    let help = miette::Diagnostic::help(&parsed.errors[0]).map(|h| h.to_string());
    assert_eq!(help, None);
}

/// A workflow of `n` steps in a chain, the `broken`-th (if any) missing its `=`.
fn chain(n: usize, broken: Option<usize>) -> String {
    let mut source =
        String::from("/// A chain.\nworkflow chain(x: int) -> int {\n  max_steps: 1000\n");
    for i in 0..n {
        let eq = if broken == Some(i) { "" } else { "=" };
        source.push_str(&format!(
            "  /// Step {i}.\n  step s{i} {eq} W(x: x + {i}) {{ on_success -> s{} }}\n",
            i + 1
        ));
    }
    source.push_str(&format!("  succeed s{n} = x\n}}\n"));
    source
}

#[test]
fn long_workflows_are_read_in_parts_with_nothing_lost() {
    // More states than one part holds, so the workflow is read in several.
    let source = chain(200, None);
    let parsed = parse(&source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Workflow(w)) = parsed.file.items.first() else {
        panic!()
    };
    assert_eq!(w.states.len(), 201);
    assert_eq!(w.settings.len(), 1);
    assert_eq!(w.docs.as_ref().map(|d| d.text.as_str()), Some("A chain."));
    assert_eq!(
        w.states[150].docs.as_ref().map(|d| d.text.as_str()),
        Some("Step 150.")
    );
    assert!(w.span.text(&source).starts_with("workflow chain"));
    assert!(w.span.text(&source).ends_with('}'));
}

#[test]
fn an_error_deep_in_a_long_workflow_is_found_where_it_is() {
    let source = chain(200, Some(150));
    let parsed = parse(&source);
    assert_eq!(errors(&source), ["expected `=` after `s150`, found `W`"]);
    let at = parsed.errors[0].offset();
    assert!(source[at..].starts_with("W(x: x + 150)"));
}

// ------------------------------------------------------ text as it comes

/// The one-state workflow of `expr`, written with other line breaks.
const SMALL: &str =
    "// first\nworkflow w() -> string {\n  /// The end.\n  succeed done = \"x\" // last\n}\n";

#[test]
fn a_byte_order_mark_is_skipped_and_spans_stay_file_offsets() {
    let source = format!("\u{FEFF}{SMALL}");
    let parsed = parse(&source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Workflow(w)) = parsed.file.items.first() else {
        panic!("{:?}", parsed.file.items)
    };
    // Spans are offsets into the text as read, mark included.
    assert_eq!(w.name.span.start as usize, source.find("w()").unwrap_or(0));
    assert_eq!(w.states[0].span.text(&source), "succeed done = \"x\"");
    assert_eq!(parsed.file.comments[0].span.text(&source), "// first");
    // An error after the mark is where it is.
    let broken = "\u{FEFF}workflow w() -> string { succeed done \"x\" }";
    let parsed = parse(broken);
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    assert_eq!(parsed.errors[0].offset(), broken.find("\"x\"").unwrap_or(0));
    // Only at the start: elsewhere it is a character like any other.
    assert_eq!(parse(&format!("{SMALL}\u{FEFF}")).errors.len(), 1);
}

#[test]
fn triple_quoted_strings_hold_newlines_whatever_ends_the_lines() {
    let lf = "\"\"\"\n  one\n    two\n  \"\"\"";
    for (name, text) in [
        ("LF", lf.to_string()),
        ("CRLF", lf.replace('\n', "\r\n")),
        ("CR", lf.replace('\n', "\r")),
    ] {
        assert_eq!(sexp(&expr(&text)), "(str \"one\\n  two\")", "{name}");
    }
    // An escaped `\r` is content, not a line break.
    assert_eq!(sexp(&expr("\"\"\"a\\r\r\nb\"\"\"")), "(str \"a\\r\\nb\")");
}

#[test]
fn a_lone_carriage_return_ends_comments_and_lines() {
    let source = SMALL.replace('\n', "\r");
    let parsed = parse(&source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let Some(Item::Workflow(w)) = parsed.file.items.first() else {
        panic!("the first comment took the file: {:?}", parsed.file.items)
    };
    assert_eq!(w.states.len(), 1);
    assert_eq!(
        w.states[0].docs.as_ref().map(|d| d.text.as_str()),
        Some("The end.")
    );
    let comments: Vec<&str> = parsed
        .file
        .comments
        .iter()
        .map(|c| c.span.text(&source))
        .collect();
    assert_eq!(comments, ["// first", "// last"]);
    // With Windows line endings, the `\r` is not part of the comment.
    let source = SMALL.replace('\n', "\r\n");
    let parsed = parse(&source);
    assert_eq!(parsed.file.comments[0].span.text(&source), "// first");
    // A one-line string ends at a lone `\r` too.
    let parsed = parse("workflow w() -> string {\r  succeed done = \"open\r}\r");
    assert_eq!(errors_of(&parsed), ["unterminated string"]);
}

#[test]
fn recovery_finds_items_on_lines_that_end_in_a_carriage_return() {
    let source = "workflow a() -> string {\r  succeed done \"x\"\r}\rworkflow b() -> string {\r  succeed done \"x\"\r}\r";
    assert_eq!(errors_of(&parse(source)).len(), 2);
}

fn errors_of(parsed: &Parsed) -> Vec<String> {
    parsed.errors.iter().map(|e| e.to_string()).collect()
}

// ------------------------------------------ the mistakes everybody makes

/// The one error of `source` as (code, message, help).
fn mistake(source: &str) -> (String, String, String) {
    use miette::Diagnostic as _;
    let parsed = parse(source);
    assert_eq!(parsed.errors.len(), 1, "{source}: {:?}", parsed.errors);
    let e = &parsed.errors[0];
    (
        e.code().map(|c| c.to_string()).unwrap_or_default(),
        e.to_string(),
        e.help().map(|h| h.to_string()).unwrap_or_default(),
    )
}

/// A step whose body is `body`, in a workflow with parameters `q` and `ok`.
fn in_step(body: &str) -> String {
    format!(
        "workflow w(q: string, ok: bool) -> string {{\n  step x = A(q: q) {{\n    {body}\n  }}\n  succeed done = \"a\"\n}}\n"
    )
}

#[test]
fn common_mistakes_get_their_own_messages_and_the_fix() {
    let cases = [
        (
            in_step("on_success when q = \"a\" -> done"),
            "flow::syntax::assignment_in_condition",
            "use `==` to compare: `when q == \"a\"`",
        ),
        (
            in_step("prompt: ok ? \"y\" : \"n\""),
            "flow::syntax::ternary",
            "write `if ok then \"y\" else \"n\"`",
        ),
        (
            in_step("on_success when ok and q == \"b\" -> done"),
            "flow::syntax::word_operator",
            "write `when ok && q == \"b\"`",
        ),
        (
            in_step("on_success when ok or q == \"b\" -> done"),
            "flow::syntax::word_operator",
            "write `when ok || q == \"b\"`",
        ),
        (
            in_step("on_success when not ok -> done"),
            "flow::syntax::word_operator",
            "write `when !ok`",
        ),
        (
            in_step("on_error -> done"),
            "flow::syntax::unknown_transition",
            "did you mean `on_failure`? write `on_failure -> done`",
        ),
        (
            in_step("on_sucess when ok -> done"),
            "flow::syntax::unknown_transition",
            "did you mean `on_success`? write `on_success when ok -> done`",
        ),
        (
            in_step("on_success: done"),
            "flow::syntax::transition_colon",
            "write `on_success -> done`",
        ),
        (
            in_step("on_success when ok: done"),
            "flow::syntax::transition_colon",
            "write `on_success when ok -> done`",
        ),
        (
            in_step("timeout: 1.5s"),
            "flow::syntax::invalid_duration",
            "write `1500ms`: a duration is a whole number of its unit",
        ),
        (
            in_step("timeout: 0.5h"),
            "flow::syntax::invalid_duration",
            "write `30m`: a duration is a whole number of its unit",
        ),
        (
            in_step("timeout: 2 m"),
            "flow::syntax::invalid_duration",
            "write `2m`: a duration has no space between the number and its unit",
        ),
        (
            in_step("timeout: 30 seconds\n    retries: 2"),
            "flow::syntax::invalid_duration",
            "write `30s`: a duration has no space between the number and its unit",
        ),
        (
            in_step("timeout: 5sec"),
            "flow::syntax::invalid_duration",
            "write `5s`: the units are `ms`, `s`, `m` and `h`",
        ),
        (
            in_step("retries = 3"),
            "flow::syntax::unexpected_token",
            "write `retries: 3`: settings, fields and arguments take their value after `:`",
        ),
        (
            "workflow w(q: string) -> string {\n  step x = A(q = q)\n}\n".to_string(),
            "flow::syntax::unexpected_token",
            "an argument is written `name: value`: `q: q`",
        ),
        (
            in_step("on_success -> dоne"),
            "flow::syntax::non_ascii_name",
            "names are written with ASCII letters, digits and `_`; type the name again as `done`",
        ),
    ];
    for (source, code, help) in cases {
        let (found_code, message, found_help) = mistake(&source);
        assert_eq!(
            (found_code.as_str(), found_help.as_str()),
            (code, help),
            "{source}\n{message}"
        );
    }
}

#[test]
fn a_mistake_is_labelled_where_it_is() {
    let source = in_step("on_success when q = \"a\" -> done");
    assert_eq!(
        parse(&source).errors[0].offset(),
        source.find("q = ").unwrap_or(0) + 2
    );
    // A look-alike is pointed at exactly: the Cyrillic `о`, two bytes.
    let source = in_step("on_success -> dоne");
    let parsed = parse(&source);
    let SyntaxError::NonAsciiName {
        span,
        name,
        code_point,
        ..
    } = &parsed.errors[0]
    else {
        panic!("{:?}", parsed.errors)
    };
    assert_eq!(span.text(&source), "о");
    assert_eq!(name, "dоne");
    assert_eq!(code_point, "U+043E CYRILLIC SMALL LETTER O");
}

#[test]
fn a_comment_before_the_error_is_not_what_it_comes_after() {
    let cases = [
        (
            "workflow w() -> string {\n  succeed done // the end\n}\n",
            "expected `=` after `succeed done`, found `}`",
        ),
        (
            "workflow w() -> string {\n  succeed done /* the end */\n}\n",
            "expected `=` after `succeed done`, found `}`",
        ),
        (
            "workflow w() -> string {\n  succeed done\n  // the end\n}\n",
            "expected `=` after `succeed done`, found `}`",
        ),
        // Without a comment between, the token is named, as it always was.
        (
            "workflow w() -> string {\n  succeed done\n}\n",
            "expected `=` after `done`, found `}`",
        ),
    ];
    for (source, message) in cases {
        assert_eq!(errors(source), [message], "{source}");
    }
}

#[test]
fn other_characters_are_shown_with_their_code_point() {
    let source = in_step("on_success when q == \u{201C}a\u{201D} -> done");
    let (code, message, help) = mistake(&source);
    assert_eq!(code, "flow::syntax::unexpected_token");
    assert!(
        message.ends_with("found `\u{201C}` (U+201C LEFT DOUBLE QUOTATION MARK)"),
        "{message}"
    );
    assert_eq!(
        help,
        "strings are written with straight double quotes: `\"`"
    );
}

#[test]
fn a_broken_state_does_not_hide_the_errors_of_the_states_after_it() {
    let source = "workflow w(q: string) -> string {\n  step x = A(q: q) {\n    on_success when q = \"a\" -> done\n  }\n  step y = A(q: q) {\n    on_success when ok and q -> done\n  }\n  map m = A(q: item) for item in [q] {\n    timeout: 2 m\n  }\n  succeed done = \"x\"\n}\nworkflow v() -> string {\n  succeed done \"y\"\n}\n";
    let parsed = parse(source);
    let codes: Vec<String> = parsed
        .errors
        .iter()
        .map(|e| {
            use miette::Diagnostic as _;
            e.code().map(|c| c.to_string()).unwrap_or_default()
        })
        .collect();
    assert_eq!(
        codes,
        [
            "flow::syntax::assignment_in_condition",
            "flow::syntax::word_operator",
            "flow::syntax::invalid_duration",
            "flow::syntax::unexpected_token",
        ]
    );
    // The broken states are left out; the workflows keep the states that
    // parsed, and the one never closed ends where its text does.
    let workflows: Vec<(&str, Vec<&str>, &str)> = parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Workflow(w) => Some((
                w.name.name.as_str(),
                w.states.iter().map(|s| s.name.name.as_str()).collect(),
                w.span.text(source),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(workflows.len(), 2, "{workflows:?}");
    assert_eq!(workflows[0].0, "w");
    assert_eq!(workflows[0].1, ["done"]);
    assert!(workflows[0].2.ends_with("\"x\"\n}"), "{}", workflows[0].2);
    assert_eq!(workflows[1].0, "v");
    assert!(workflows[1].1.is_empty());
    assert!(
        workflows[1].2.ends_with("{\n  succeed done \"y\"\n}"),
        "{}",
        workflows[1].2
    );
}

/// The names of the states of the workflows of `source`, and its errors.
fn recovered(source: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let parsed = parse(source);
    let states = parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Workflow(w) => Some(w.states.iter().map(|s| s.name.name.to_string()).collect()),
            _ => None,
        })
        .collect();
    (states, errors_of(&parsed))
}

#[test]
fn the_states_around_a_broken_one_are_kept() {
    // In the middle, in its body, and last before the closing brace; the
    // parts of 64 states are read again one at a time before the failure.
    let (states, errors) = recovered(
        "workflow w() -> string {\n  step a = W() { on_success -> b }\n  step b W()\n  succeed c = \"x\"\n}\n",
    );
    assert_eq!(states, [["a", "c"]], "{errors:?}");
    assert_eq!(errors.len(), 1);
    let (states, errors) = recovered(
        "workflow w() -> string {\n  step a = W() { on_success -> b }\n  step b = W() { on_success c }\n  succeed c = \"x\"\n  fail d = \n}\nworkflow v() -> int {\n  succeed e = 1\n}\n",
    );
    assert_eq!(states, [vec!["a", "c"], vec!["e"]], "{errors:?}");
    assert_eq!(errors.len(), 2, "{errors:?}");
    // Past one part of 64 states: the good states of the failed part are kept.
    let source = chain(100, Some(70));
    let (states, errors) = recovered(&source);
    assert_eq!(errors.len(), 1);
    assert_eq!(states[0].len(), 100);
    assert!(!states[0].iter().any(|s| s == "s70"));
}

#[test]
fn if_has_the_lowest_precedence() {
    let cases = [
        ("if a then b else c || d", "(if a b (|| c d))"),
        (
            "if a || b then c + 1 else d ?? e",
            "(if (|| a b) (+ c 1) (?? d e))",
        ),
        (
            "if !a then -b else c.d[0]",
            "(if (! a) (- b) (index (. c d) 0))",
        ),
        ("if a then b else if c then d else e", "(if a b (if c d e))"),
        (
            "if a then b else if c then d else if e then f else g",
            "(if a b (if c d (if e f g)))",
        ),
        ("if a then if b then c else d else e", "(if a (if b c d) e)"),
        ("if if a then b else c then d else e", "(if (if a b c) d e)"),
        (
            "if a then b else (if c then d else e)",
            "(if a b (paren (if c d e)))",
        ),
        ("(if a then b else c) + 1", "(+ (paren (if a b c)) 1)"),
        ("[if a then 1 else 2, 3]", "[(if a 1 2) 3]"),
        ("{ k: if a then 1 else 2 }", "{k: (if a 1 2)}"),
        ("f(x: if a then 1 else 2)", "(call f x: (if a 1 2))"),
        ("\"${if a then 1 else 2}\"", "(str ${(if a 1 2)})"),
        ("if(a)then(b)else(c)", "(if (paren a) (paren b) (paren c))"),
        // The keywords need a word boundary; as field names they are fields.
        ("ifx || thenx", "(|| ifx thenx)"),
        (
            "x.if + x.then + x.else",
            "(+ (+ (. x if) (. x then)) (. x else))",
        ),
        ("{ if: 1, then: 2, else: 3 }", "{if: 1, then: 2, else: 3}"),
    ];
    for (text, shape) in cases {
        assert_eq!(sexp(&expr(text)), shape, "{text}");
    }
}

#[test]
fn each_link_of_an_if_chain_spans_from_its_if_to_the_end() {
    let text = "if a then b else if c then d else e";
    let e = expr(text);
    // The expression is 38 bytes into the source `expr` wraps it in.
    let at = |from: usize, to: usize| Span::from_range(38 + from, 38 + to);
    assert_eq!(e.span, at(0, text.len()));
    let ExprKind::If {
        condition,
        then,
        otherwise,
    } = &e.kind
    else {
        panic!("{e:?}");
    };
    assert_eq!((condition.span, then.span), (at(3, 4), at(10, 11)));
    assert_eq!(otherwise.span, at(17, text.len()));
    assert!(matches!(otherwise.kind, ExprKind::If { .. }));
}

#[test]
fn if_then_else_are_reserved() {
    for word in ["if", "then", "else"] {
        assert_eq!(
            errors(&format!(
                "workflow w() -> string {{ step {word} = W() {{ on_success -> d }} succeed d = \"x\" }}"
            )),
            [format!("`{word}` is a reserved word")]
        );
    }
}

#[test]
fn a_broken_if_is_reported_where_it_breaks() {
    let wrap = |e: &str| format!("workflow w() -> string {{ succeed done = {e} }}");
    let cases = [
        ("if a then b", "expected `else` after `b`, found `}`"),
        ("if a b else c", "expected `then` after `a`, found `b`"),
        (
            "if a then else c",
            "expected an expression after `then`, found `else`",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(errors(&wrap(text)), [message], "{text}");
    }
    // An `if` is never an operand: it goes in parentheses. Each one is
    // reported, at its `if`.
    let source = wrap("1 + if a then 2 else !if b then 3 else 4");
    let found = parse(&source).errors;
    let shown: Vec<(String, &str)> = found
        .iter()
        .map(|e| (e.to_string(), &source[e.offset()..e.offset() + 2]))
        .collect();
    assert_eq!(
        shown,
        [
            ("an `if` cannot be the operand of `+`".to_string(), "if"),
            ("an `if` cannot be the operand of `!`".to_string(), "if"),
        ]
    );
    let help = miette::Diagnostic::help(&found[0]).map(|h| h.to_string());
    assert_eq!(
        help.as_deref(),
        Some(
            "`if ... then ... else ...` has the lowest precedence: its `else` branch takes the rest of the expression, so an `if` inside an operation goes in parentheses, as in `x + (if c then a else b)`"
        )
    );
    assert_eq!(
        errors(&wrap("1 + (if a then 2 else 3)")),
        Vec::<String>::new()
    );
}

#[test]
fn deeply_nested_ifs_are_refused_not_overflowing() {
    let nested = [
        ("then", "if a then ".repeat(100_000)),
        ("condition", "if ".repeat(100_000)),
        (
            "then, closed",
            format!(
                "{}1{}",
                "if a then ".repeat(100_000),
                " else 2".repeat(100_000)
            ),
        ),
        // An operand `if` goes on to the end of the expression.
        (
            "operands",
            format!("1{}", " + if a then 1 else 1".repeat(100_000)),
        ),
        (
            "prefixes",
            format!("{}1", "!if a then 1 else ".repeat(100_000)),
        ),
        // A comment that ends in `.` before an `if` does not make it a
        // field.
        ("after line comments", "if a then // .\n".repeat(100_000)),
        ("after block comments", "if a then /* . */ ".repeat(100_000)),
    ];
    for (what, text) in nested {
        let parsed = parse(&format!("workflow w() -> json {{ succeed done = {text} }}"));
        assert!(
            parsed
                .errors
                .iter()
                .any(|e| matches!(e, SyntaxError::TooDeep { .. })),
            "{what}: {:?}",
            parsed.errors.first()
        );
    }
    // A long `else if` chain does not nest in the parser: it is refused
    // only by the bound on the depth of the tree.
    let chain = format!("{}0", "if a then 1 else ".repeat(10_000));
    let parsed = parse(&format!(
        "workflow w() -> json {{ succeed done = {chain} }}"
    ));
    assert!(
        parsed
            .errors
            .iter()
            .any(|e| matches!(e, SyntaxError::TooDeep { .. })),
        "{:?}",
        parsed.errors.first()
    );
    // Just under the limit, where each level is an `if` and a bracket but
    // counts as one, the parser still has stack to spare.
    let under = format!("{}1{}", "if a then 1 else [".repeat(31), "]".repeat(31));
    let parsed = parse(&format!(
        "workflow w() -> json {{ succeed done = {under} }}"
    ));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
    // Ifs one after the other do not add up.
    let states: String = (0..100)
        .map(|i| format!("succeed s{i} = if a then 1 else 2\n"))
        .collect();
    let parsed = parse(&format!("workflow w(a: bool) -> int {{\n{states}}}"));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
    // Nor do keys and fields spelt `if`, which are names.
    let names: String = (0..100)
        .map(|i| format!("if: r.if, r{i}: r?.if, "))
        .collect();
    let parsed = parse(&format!(
        "type T {{ if: int, if?: int }}\nworkflow w(r: json) -> json {{ succeed done = {{ {names} }} }}"
    ));
    let too_deep = parsed
        .errors
        .iter()
        .any(|e| matches!(e, SyntaxError::TooDeep { .. }));
    assert!(!too_deep, "{:?}", parsed.errors.first());
}

#[test]
fn the_words_of_expressions_are_reserved() {
    for word in crate::syntax::ast::EXPRESSION_WORDS {
        assert!(crate::syntax::ast::RESERVED.contains(word), "{word}");
    }
}
