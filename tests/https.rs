//! The `http` executor over TLS, through `flow run`: a real HTTPS server
//! (python3's, in `tests/workers/https_server.py`) on 127.0.0.1 with a
//! certificate signed by a certificate authority made for the test with the
//! `openssl` command. Trusted through `SSL_CERT_FILE`, the call succeeds;
//! untrusted, it fails at once with class `worker` (a retry would not make
//! the certificate trusted) and a message that says what to do.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A temporary directory for one test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("flow-https-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("the openssl command is needed (apt-get install openssl): {e}"));
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A certificate authority (`ca.pem`) and a certificate for 127.0.0.1
/// signed by it (`server.pem`, `server.key`).
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=flow test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

/// The HTTPS server, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/workers/https_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir.join("server.pem"))
            .arg(dir.join("server.key"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 starts: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("{e}"));
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("the server said {line:?}: {e}"));
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a workflow calling the server once, with up to two retries, and
/// returns the exit status, stdout and stderr.
fn run(dir: &Path, port: u16, trust: Option<&Path>) -> (i32, String, String) {
    let flow = dir.join("tls.flow");
    std::fs::write(
        &flow,
        format!(
            r#"
worker Service(n: int) -> {{ echo: {{ n: int }}, tls: bool }} {{
  http {{ url: "https://127.0.0.1:{port}/work" }}
  timeout: 10s
  retries: 2
  backoff: 10ms
}}

workflow call() -> int {{
  step ask = Service(n: 7) {{
    on_success -> done
  }}
  succeed done = ask.echo.n
}}
"#
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_flow"));
    command
        .arg("run")
        .arg(&flow)
        .arg("--no-store")
        .env("NO_COLOR", "1")
        .env("FLOW_TRACE_DURATIONS", "0")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some(ca) = trust {
        command.env("SSL_CERT_FILE", ca);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("flow runs: {e}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_trusted_certificate_is_accepted() {
    let dir = Scratch::new("trusted");
    certificates(&dir.0);
    let server = Server::start(&dir.0);
    let (status, stdout, stderr) = run(&dir.0, server.port, Some(&dir.0.join("ca.pem")));
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stdout, "7\n", "{stderr}");
}

#[test]
fn an_untrusted_certificate_fails_once_with_class_worker() {
    let dir = Scratch::new("untrusted");
    certificates(&dir.0);
    let server = Server::start(&dir.0);
    let (status, stdout, stderr) = run(&dir.0, server.port, None);
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("failed (worker) after 1 attempt"),
        "not retried: {stderr}"
    );
    assert!(
        stderr.contains(
            "the service's TLS certificate is not trusted (UnknownIssuer); if it is signed by a \
             private certificate authority, point SSL_CERT_FILE at that authority's certificate"
        ),
        "{stderr}"
    );
}
