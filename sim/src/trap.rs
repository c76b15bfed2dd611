//! A second loopback listener that records every byte anyone sends it: the place a redirect
//! points at, to prove that nothing (no form body with a client secret, no `Authorization`
//! header, not even a connection) reached it.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A listener on `127.0.0.1` that answers nothing and keeps everything it receives. Dropping
/// it stops it.
pub struct Trap {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Trap {
    pub fn start() -> std::io::Result<Trap> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, r, s) = (connections.clone(), received.clone(), stop.clone());
        let thread = std::thread::Builder::new().name("tailscale-sim-trap".into()).spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                std::thread::spawn(move || record(conn, &r));
            }
        })?;
        Ok(Trap { url: format!("http://{addr}"), addr, connections, received, stop, thread: Some(thread) })
    }

    /// How many connections were made to it.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every byte received, from all connections.
    pub fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn record(mut conn: TcpStream, into: &Mutex<Vec<u8>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 4096];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            break;
        }
        into.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(&buf[..n]);
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
