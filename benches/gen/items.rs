//! The items of one generated module: record types, one worker of every
//! executor kind, and the transformers those workers and the workflows use.
//! Every name ends in `_M`, the module's number, so that modules never
//! clash; the workflows pick a module per segment.

use super::rng::Rng;
use super::text::fill;

/// The type that every generated workflow returns; defined once per file.
pub const REPORT_TYPE: &str = r#"/// What a generated report workflow returns.
type Report {
  title: string
  parts: int
  summary: string
  keywords: [string]
  /// Where the last part was published; absent when nothing was.
  url?: string
}
"#;

const TYPES: &str = r#"
/// A section of a planned document (module @M).
type Section_@M {
  heading: string
  words: int
  /// Where the facts come from; absent when the planner has none yet.
  sources?: [string]
}

type Plan_@M {
  kind: "quick" | "deep" | "survey"
  title: string
  summary: string
  sections: [Section_@M]
  notes?: [string]
  budget: int
}

type Draft_@M {
  text: string
  words: int
  citations: [string]
  confidence?: number
}

type Review_@M {
  verdict: "approve" | "revise" | "reject"
  comments: [string]
  score: number
}

type Note_@M = { heading: string, text: string, "source url"?: string }

type Summary_@M {
  text: string
  keywords: [string]
}

/// The input record of `Writer_@M`, so that its `before` hook can rewrite it.
type WriterInput_@M {
  plan: Plan_@M
  section: Section_@M?
  notes: [Note_@M]
  feedback: [string]
}
"#;

const WORKERS: &str = r#"
/// Reviews a draft against its plan; the verdict routes the review loop.
worker Reviewer_@M(draft: Draft_@M, plan: Plan_@M, round: int) -> Review_@M {
  http {
    url: "https://review.example.com/v1/plans/${plan.title}/reviews"
    method: "POST"
    headers: { "Authorization": "Bearer ${env("REVIEW_TOKEN")}", "X-Round": "${round}" }
  }
  timeout: 90s
  retries: 1
  backoff: 2s
  after: tidy_review_@M
}
/// Plans a document: its kind, its sections and a word budget.
worker Planner_@M(
  /// What the document is about.
  topic: string,
  audience: string?,
  hints: [string]
) -> Plan_@M {
  llm {
    model: "@MODEL"
    base_url: "http://127.0.0.1:11434/v1"
    api_key: env("PLANNER_KEY")
    system: "You plan documents for ${audience ?? "a general audience"}."
    prompt: """
      Plan a document about ${topic}.
      Keep these hints in mind: ${join(hints, "; ")}
      """
    temperature: 0.@TEMP
  }
  timeout: @PLAN_TIMEOUTs
  retries: @PLAN_RETRIES
  backoff: 500ms..10s
  retry_on: [timeout, transient, output]
  concurrency: @CONC
}

/// Drafts a section, or the whole document when `section` is null.
worker Writer_@M(plan: Plan_@M, section: Section_@M?, notes: [Note_@M], feedback: [string]) -> Draft_@M {
  exec {
    command: ["python3", "workers/writer.py", "--style", "@STYLE"]
    env: { "WRITER_TOKEN": env("WRITER_TOKEN"), "SECTION": section?.heading ?? "all" }
    cwd: "workers"
  }
  before: prepare_@M
  after: tidy_draft_@M
  timeout: @WRITE_TIMEOUTm
  retries: 3
  backoff: 1s..1m
  retry_on: [timeout, transient]
}

/// A person signs the part off when the reviewers could not agree.
worker Approver_@M(title: string, summary: string) -> { approved: bool, note?: string } {
  human {
    prompt: """
      Please approve "${title}".

      ${summary}
      """
  }
  timeout: 48h
}

worker Summariser_@M(text: string, limit: int) -> Summary_@M {
  llm {
    model: "gpt-4o"
    prompt: "Summarise in at most ${limit} words:\n${text}"
  }
  timeout: 2m
}

worker Researcher_@M(section: Section_@M, topic: string) -> Note_@M {
  http {
    url: "http://127.0.0.1:9000/research"
    headers: { "X-Topic": topic }
  }
  timeout: 30s
  retries: 4
  backoff: 250ms..8s
  retry_on: [transient]
}

worker Archive_@M(title: string, words: int) -> { title: string, words: int } {
  builtin { name: "echo" }
}

worker Publisher_@M(title: string, body: string, words: number, tags: [string]) -> { url: string } {
  exec { command: ["./publish.sh", "--module", "@M"] }
  timeout: 1m
  retries: 1
  backoff: 5s
}
"#;

const TRANSFORMERS: &str = r#"
/// External hook: strips personal data from a revised draft.
transformer redact_@M(d: Draft_@M) -> Draft_@M {
  exec { command: ["python3", "hooks/redact.py", "--strict"] }
}
/// Input hook of `Writer_@M`: every plan reaches the writer with notes.
transformer prepare_@M(input: WriterInput_@M) -> WriterInput_@M = {
  plan: {
    kind: input.plan.kind,
    title: trim(input.plan.title),
    summary: input.plan.summary,
    sections: input.plan.sections,
    notes: input.plan.notes ?? [],
    budget: input.plan.budget
  },
  section: input.section,
  notes: input.notes,
  feedback: input.feedback
}

/// Output hook of `Writer_@M`: trims the text and fills in the confidence.
transformer tidy_draft_@M(d: Draft_@M) -> Draft_@M = {
  text: trim(d.text),
  words: d.words,
  citations: d.citations,
  confidence: d.confidence ?? 0.5
}

transformer tidy_review_@M(r: Review_@M) -> Review_@M = {
  verdict: r.verdict,
  comments: r.comments,
  score: r.score
}

transformer headline_@M(p: Plan_@M) -> string = upper(p.title) + " [" + p.kind + "]"

/// A rough word count of the notes of a part.
transformer word_total_@M(notes: [Note_@M]) -> number = len(notes) * 250 + (len(notes) % 3) * 10

"#;

/// Appends the items of module `m`: types, transformers, then workers, so
/// that doc comments follow both braces and expressions (the end of a pure
/// transformer), which the parser once misread as a division.
pub fn module(out: &mut String, m: usize, rng: &mut Rng) {
    let m = m.to_string();
    let model = rng.pick(&["gpt-4o-mini", "gpt-4o", "llama3.1:8b", "qwen2.5:14b"]);
    let temp = rng.below(10).to_string();
    let plan_timeout = rng.range(20, 120).to_string();
    let plan_retries = rng.range(0, 3).to_string();
    let conc = rng.range(1, 8).to_string();
    let style = rng.pick(&["plain", "academic", "friendly", "terse"]);
    let write_timeout = rng.range(2, 15).to_string();
    out.push_str(&fill(TYPES, &[("@M", &m)]));
    out.push_str(&fill(TRANSFORMERS, &[("@M", &m)]));
    out.push_str(&fill(
        WORKERS,
        &[
            ("@MODEL", model),
            ("@TEMP", &temp),
            ("@PLAN_TIMEOUT", &plan_timeout),
            ("@PLAN_RETRIES", &plan_retries),
            ("@CONC", &conc),
            ("@STYLE", style),
            ("@WRITE_TIMEOUT", &write_timeout),
            ("@M", &m),
        ],
    ));
}
