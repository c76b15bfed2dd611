//! A second loopback listener that records every byte anyone sends it: the place a redirect
//! points at, to prove that nothing (no form body with a client secret, no `Authorization`
//! header, not even a connection) reached it.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A listener on `127.0.0.1` that answers nothing and keeps everything it receives. Dropping
/// it stops it.
pub struct Trap {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub addr: SocketAddr,
    /// Every connection accepted, in order, by its peer's address when the kernel still knows
    /// it (a peer that reset at once has none, and is counted all the same), with a signal.
    accepted: Arc<(Mutex<Vec<Option<SocketAddr>>>, Condvar)>,
    /// How many of those the trap made itself, to settle: not counted.
    own: Mutex<usize>,
    received: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Trap {
    pub fn start() -> std::io::Result<Trap> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, r, s) = (accepted.clone(), received.clone(), stop.clone());
        let thread = std::thread::Builder::new().name("tailscale-sim-trap".into()).spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                a.0.lock().unwrap_or_else(|p| p.into_inner()).push(conn.peer_addr().ok());
                a.1.notify_all();
                let r = r.clone();
                std::thread::spawn(move || record(conn, &r));
            }
        })?;
        Ok(Trap {
            url: format!("http://{addr}"),
            addr,
            accepted,
            own: Mutex::new(0),
            received,
            stop,
            thread: Some(thread),
        })
    }

    /// How many connections were made to it. Every connection made before this call is counted,
    /// without waiting a fixed time: the trap connects to itself and waits until the accept
    /// loop has taken that connection, which the kernel queues after every earlier one.
    pub fn connections(&self) -> usize {
        let (list, signal) = &*self.accepted;
        // Entries before this one were accepted before the connection below was made: an
        // earlier connection from the same port (reused on loopback) is not taken for it.
        let start = list.lock().unwrap_or_else(|p| p.into_inner()).len();
        // Held open until it is seen, so that the accept loop can read its address.
        let stream = TcpStream::connect(self.addr)
            .unwrap_or_else(|e| panic!("the trap cannot connect to itself to settle: {e}"));
        let own = stream.local_addr().unwrap_or_else(|e| panic!("the trap's own connection has no address: {e}"));
        let mut count = self.own.lock().unwrap_or_else(|p| p.into_inner());
        *count += 1;
        let mut seen = list.lock().unwrap_or_else(|p| p.into_inner());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !seen[start..].contains(&Some(own)) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "the trap's accept loop did not take its own connection");
            seen = signal.wait_timeout(seen, left).unwrap_or_else(|p| p.into_inner()).0;
        }
        drop(stream);
        // Every earlier own connection was seen before its call returned, so all are in `seen`.
        seen.len() - *count
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn counts_every_connection_made_before_it_is_asked_and_not_its_own() {
        let trap = Trap::start().unwrap();
        assert_eq!(trap.connections(), 0);
        for n in 1..=3 {
            // Asked straight after connecting: the count cannot depend on how soon the accept
            // loop runs.
            let mut c = TcpStream::connect(trap.addr).unwrap();
            c.write_all(b"x").unwrap();
            drop(c);
            assert_eq!(trap.connections(), n);
        }
        assert_eq!(trap.connections(), 3, "settling twice counts nothing new");
        // A connection reset at once, before the accept loop asks who it is, still counts.
        let c = TcpStream::connect(trap.addr).unwrap();
        socket_linger_zero(&c);
        drop(c);
        assert_eq!(trap.connections(), 4);
    }

    /// `SO_LINGER` on with a zero timeout: closing sends a reset instead of a FIN.
    fn socket_linger_zero(c: &TcpStream) {
        socket2::SockRef::from(c).set_linger(Some(Duration::ZERO)).unwrap();
    }
}
