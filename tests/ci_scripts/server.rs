//! A tiny HTTP/1.1 server on 127.0.0.1, port 0: fixed answers by path, and a record of every
//! request (target and headers) for the tests to check. One connection at a time, closed after
//! each answer, which is all curl needs.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

#[derive(Debug, Clone)]
pub struct Request {
    /// Path and query, as sent.
    pub target: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
}

pub struct Server {
    pub base: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `routes` (path without query → status and body); anything else is a 404.
    pub fn start(routes: Vec<(String, u16, Vec<u8>)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: HashMap<String, (u16, Vec<u8>)> = routes.into_iter().map(|(p, s, b)| (p, (s, b))).collect();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopping) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &routes, &seen);
                }
            }
        });
        Server { base, requests, stop, thread: Some(thread) }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(stream: TcpStream, routes: &HashMap<String, (u16, Vec<u8>)>, seen: &Mutex<Vec<Request>>) {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let path = target.split('?').next().unwrap_or("").to_owned();
    seen.lock().unwrap().push(Request { target, headers });
    let (status, body) = routes.get(&path).cloned().unwrap_or((404, b"Not Found".to_vec()));
    let reason = if status == 200 { "OK" } else { "Error" };
    let mut stream = &stream;
    let head = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}
