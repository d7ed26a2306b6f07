//! `miernik demo` as a person starts it: from the first line on the terminal until "ready",
//! no page claims there is no data, nothing half-ready may be cached, and the terminal says
//! when the portal is ready and how to stop it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP/1.1 GET: (status, headers in lower case, body).
fn get(addr: &str, path: &str) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_lowercase(), body.to_owned()))
}

#[test]
fn until_the_first_snapshot_pages_answer_503_computing_and_the_terminal_says_when_it_is_ready() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("demo.db").display());
    let child = Command::new(env!("CARGO_BIN_EXE_miernik"))
        .args(["demo", "--db", &db, "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("miernik starts");
    let mut server = Server(child);
    let stderr = server.0.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The first line with the address: the server listens from then on.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut lines = Vec::new();
    let addr = loop {
        let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("a line with the address before the deadline");
        lines.push(line.clone());
        if let Some(at) = line.find("http://") {
            break line[at + 7..].split_whitespace().next().expect("an address").to_owned();
        }
    };
    assert!(!lines.last().is_some_and(|l| l.contains("gotowy / ready")), "the first line must not say ready before the snapshot: {lines:?}");
    // Ask for a card as fast as we can until the portal is ready.
    let (mut starting, mut ready) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(120);
    while ready < 3 && Instant::now() < deadline {
        let Some((status, head, body)) = get(&addr, "/jst/0201022") else { continue };
        match status {
            503 => {
                starting += 1;
                assert!(head.contains("retry-after:"), "503 without Retry-After: {head}");
                assert!(head.contains("cache-control: no-store"), "503 that a cache could keep: {head}");
                assert!(body.contains("Miernik liczy wskaźniki"), "503 without the computing page");
            }
            200 => {
                ready += 1;
                assert!(!body.contains("nie są jeszcze policzone"), "a card served before the snapshot claims there is no data");
                assert!(body.contains("Diagnoza"), "a card without its comparison");
            }
            other => panic!("unexpected status {other} while starting: {head}"),
        }
        // The API says the same, as JSON.
        if ready == 0
            && let Some((status, head, body)) = get(&addr, "/api/v1/units?q=Leszczka")
            && status == 503
        {
            assert!(head.contains("application/json") && body.contains("\"starting\""), "{head}\n{body}");
        }
    }
    assert!(ready >= 3, "the card never became ready ({starting} answers 503)");
    // /health answers throughout (it is how scripts wait), and the terminal says ready.
    let (status, _, body) = get(&addr, "/health").expect("health answers");
    assert_eq!(status, 200);
    assert!(body.starts_with("ok"), "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !lines.iter().any(|l| l.contains("gotowy / ready")) && Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(l);
        }
    }
    let ready_line = lines.iter().find(|l| l.contains("gotowy / ready")).unwrap_or_else(|| panic!("no ready line: {lines:?}"));
    assert!(ready_line.contains(&format!("http://{addr}")) && ready_line.contains("Ctrl-C"), "{ready_line}");
}
