//! `tailscale-sim`: run the simulator by hand, e.g. to try `tailgrant apply` without a tailnet.

use std::net::SocketAddr;

fn main() {
    let mut port = 8088u16;
    let mut policy = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or_else(|| usage()),
            "--policy" => {
                let path = args.next().unwrap_or_else(|| usage());
                policy = Some(std::fs::read_to_string(&path).unwrap_or_else(|e| {
                    eprintln!("tailscale-sim: cannot read {path}: {e}");
                    std::process::exit(2)
                }));
            }
            _ => usage(),
        }
    }
    let setup = tailscale_sim::Setup { policy, ..Default::default() };
    let key = setup.api_keys[0].clone();
    let client = setup.oauth_clients[0].clone();
    let sim = tailscale_sim::Simulator::start_on(setup, SocketAddr::from(([127, 0, 0, 1], port))).unwrap_or_else(|e| {
        eprintln!("tailscale-sim: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(2)
    });
    println!("Tailscale API simulator on {} (tailnet T1234CNTRL, alias example.com)", sim.url);
    println!("  export TS_API_URL={}", sim.url);
    println!("  export TS_API_KEY={key}");
    println!("or OAuth: TS_OAUTH_ID={} TS_OAUTH_SECRET={}", client.id, client.secret);
    println!("Devices: prod-db-1 (tag:prod-db), alice-laptop, bob-laptop, carol-laptop. Ctrl-C stops.");
    loop {
        std::thread::park();
    }
}

fn usage() -> ! {
    eprintln!("usage: tailscale-sim [--port PORT] [--policy FILE]");
    std::process::exit(2)
}
