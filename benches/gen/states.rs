//! The states of the generated workflows.
//!
//! A workflow is a chain of segments of ten states each. A segment plans a
//! part, drafts it quickly or in depth (after researching it with a map state
//! when the plan asks for a survey), reviews it in a loop bounded by
//! `max_visits`, asks a person when the loop runs out, summarises and
//! archives it in parallel, gathers notes with another map state, and
//! publishes it. Values are used only where their step certainly ran (the
//! plan of the segment, the parallel state of the previous segment) or
//! through `?.` and `??` (the drafts, the reviews, the map states whose
//! failures are routed onward).

use super::rng::Rng;
use super::text::fill;

/// States in one segment.
pub const SEGMENT_STATES: usize = 10;

/// The terminal states every workflow ends with.
pub const TERMINAL_STATES: usize = 3;

const PLAN: &str = r#"
  /// Part @P: plan it.
  step plan_@K = Planner_@M(
    topic: @TOPIC,
    audience: audience,
    hints: @HINTS
  ) {
    timeout: @PLAN_TIMEOUTs
@PLAN_ROUTES
    on_failure timeout, transient -> gave_up
    on_failure -> failed
  }
"#;

// Every kind of plan has its own clause, so no unconditional one is needed.
const ROUTES_EXHAUSTIVE: &str = r#"    on_success when plan_@K.kind == "quick" -> quick_@K
    on_success when plan_@K.kind == "survey" -> research_@K
    on_success when plan_@K.kind == "deep" -> deep_@K"#;

const ROUTES_FALLBACK: &str = r#"    on_success when plan_@K.kind == "quick" && plan_@K.budget < @BUDGET -> quick_@K
    on_success when plan_@K.kind == "survey" || len(plan_@K.sections) > @MANY -> research_@K
    on_success -> deep_@K"#;

const BODY: &str = r#"
  map research_@K = Researcher_@M(section: section, topic: "${plan_@K.title}: ${section.heading}")
    for section in plan_@K.sections {
    max_concurrency: @RESEARCH_CONC
    on_success -> deep_@K
    on_failure -> quick_@K
  }

  step quick_@K = Writer_@M(
    plan: plan_@K,
    section: plan_@K.sections[0],
    notes: [],
    feedback: ["keep it under ${plan_@K.budget / 10} words"]
  ) {
    retries: 1
    on_success -> review_@K
    on_failure output -> deep_@K
    on_failure -> failed
  }

  step deep_@K = Writer_@M(
    plan: plan_@K,
    section: null,
    notes: research_@K ?? [],
    feedback: plan_@K.notes ?? ["cover ${len(plan_@K.sections)} sections in depth"]
  ) {
    timeout: @DEEP_TIMEOUTm
    retries: 2
    backoff: 2s..1m
    retry_on: [timeout, transient]
    on_success -> review_@K
    on_failure when error.attempts > 2 && error.class == "timeout" -> gave_up
    on_failure -> failed
  }

  /// The review loop: at most @VISITS reviews, then a person decides.
  step review_@K = Reviewer_@M(
    draft: revise_@K ?? deep_@K ?? quick_@K ?? { text: plan_@K.summary, words: 0, citations: [] },
    plan: plan_@K,
    round: @P
  ) {
    max_visits: @VISITS
    on_success when review_@K.verdict == "approve" -> fanout_@K
    on_success when review_@K.verdict == "revise" -> revise_@K
@REVIEW_LAST
    on_failure limit -> approve_@K
    on_failure -> failed
  }

  step revise_@K = Writer_@M(
    plan: plan_@K,
    section: null,
    notes: research_@K ?? [],
    feedback: review_@K.comments
  ) {
    after: redact_@M
    on_success -> review_@K
    on_failure -> failed
  }

  step approve_@K = Approver_@M(
    title: headline_@M(plan_@K),
    summary: "${plan_@K.summary}\n\nOpen comments: ${len(review_@K?.comments ?? [])}"
  ) {
    timeout: 24h
    on_success when approve_@K.approved -> fanout_@K
    on_success -> gave_up
    on_failure -> gave_up
  }

  parallel fanout_@K {
    /// A short summary for the table of contents.
    branch summary = Summariser_@M(
      text: (revise_@K ?? deep_@K ?? quick_@K)?.text ?? plan_@K.summary,
      limit: @LIMIT
    ) {
      timeout: 45s
      retries: 2
    }
    branch archive = Archive_@M(title: plan_@K.title, words: (deep_@K ?? quick_@K)?.words ?? 0)
    max_concurrency: 2
    on_success -> notes_@K
    on_failure -> failed
  }

  map notes_@K = Researcher_@M(section: s, topic: fanout_@K.summary.text) for s in plan_@K.sections {
    max_concurrency: @NOTES_CONC
    on_success -> publish_@K
    on_failure timeout, transient -> publish_@K
    on_failure -> failed
  }

  step publish_@K = Publisher_@M(
    title: upper(plan_@K.title) + " (part @P of @PARTS)",
    body: "${fanout_@K.summary.text}\n${join(fanout_@K.summary.keywords, ", ")}",
    words: fanout_@K.archive.words * 1.5 + word_total_@M(notes: notes_@K ?? []) - 1,
    tags: split(lower(plan_@K.kind + ",part-@P"), ",")
  ) {
    on_success -> @NEXT
    on_failure -> failed
  }
"#;

/// Appends segment `k` of a workflow with `parts` segments, using module
/// `m`; its last state goes on to `next`.
pub fn segment(out: &mut String, k: usize, parts: usize, m: usize, next: &str, rng: &mut Rng) {
    let key = k.to_string();
    let part = (k + 1).to_string();
    let (topic, hints) = if k == 0 {
        ("topic".to_string(), "[]".to_string())
    } else {
        let prev = k - 1;
        (
            format!("\"${{topic}}, part {part}: ${{fanout_{prev}.archive.title}}\""),
            format!("review_{prev}?.comments ?? plan_{prev}.notes ?? []"),
        )
    };
    let routes = if rng.chance(50) {
        ROUTES_EXHAUSTIVE
    } else {
        ROUTES_FALLBACK
    };
    let review_last = if rng.chance(50) {
        r#"    on_success when review_@K.verdict == "reject" -> gave_up"#
    } else {
        "    on_success -> gave_up"
    };
    let m = m.to_string();
    let plan_timeout = rng.range(30, 300).to_string();
    let budget = (rng.range(5, 50) * 100).to_string();
    let many = rng.range(3, 12).to_string();
    let research_conc = rng.range(1, 8).to_string();
    let deep_timeout = rng.range(5, 30).to_string();
    let visits = rng.range(2, 5).to_string();
    let limit = (rng.range(5, 40) * 10).to_string();
    let notes_conc = rng.range(2, 16).to_string();
    let parts = parts.to_string();

    let plan = fill(
        PLAN,
        &[
            ("@PLAN_ROUTES", routes),
            ("@TOPIC", &topic),
            ("@HINTS", &hints),
        ],
    );
    let body = fill(BODY, &[("@REVIEW_LAST", review_last)]);
    for template in [plan, body] {
        out.push_str(&fill(
            &template,
            &[
                ("@PLAN_TIMEOUT", &plan_timeout),
                ("@BUDGET", &budget),
                ("@MANY", &many),
                ("@RESEARCH_CONC", &research_conc),
                ("@DEEP_TIMEOUT", &deep_timeout),
                ("@VISITS", &visits),
                ("@LIMIT", &limit),
                ("@NOTES_CONC", &notes_conc),
                ("@PARTS", &parts),
                ("@NEXT", next),
                ("@K", &key),
                ("@M", &m),
                ("@P", &part),
            ],
        ));
    }
}

/// Appends filler step `i`, a plain link of the chain that brings the
/// workflow to the exact number of states asked for.
pub fn filler(out: &mut String, i: usize, m: usize, next: &str) {
    out.push_str(&format!(
        "\n  step extra_{i} = Archive_{m}(title: \"${{topic}} #{i}\", words: len(topic)) {{\n    \
         on_success -> {next}\n    on_failure timeout -> gave_up\n    on_failure -> failed\n  }}\n"
    ));
}

/// Appends the terminal states; `last` is the last segment, if any.
pub fn terminals(out: &mut String, parts: usize, last: Option<usize>) {
    match last {
        Some(k) => out.push_str(&format!(
            "
  succeed done = {{
    title: plan_{k}.title,
    parts: {parts},
    summary: fanout_{k}.summary.text,
    keywords: fanout_{k}.summary.keywords,
    url: publish_{k}.url
  }}
"
        )),
        None => out.push_str(
            "
  succeed done = { title: topic, parts: 0, summary: \"nothing to write\", keywords: [] }
",
        ),
    }
    out.push_str(
        r#"  fail failed = "the report on \"${topic}\" failed"
  fail gave_up = "gave up on ${topic}: ${audience ?? "no audience"} was not served"
"#,
    );
}
