//! The README's samples, read as sessions: a ```console block is commands (`$ ...`, `\`
//! continues a line) each followed by exactly what it prints (standard output and error as a
//! terminal shows them, interleaved); a ```sh block is commands whose output is not shown.
//! A command ending in `# exit N` exits with N, any other with 0. In the output, a line `...`
//! stands for any number of lines (what the README leaves out on purpose).

/// A sample block: where it starts in the README, and its steps.
#[derive(Debug)]
pub struct Block {
    pub line: usize,
    pub console: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug)]
pub struct Step {
    /// The command as written, `\` continuations joined.
    pub command: String,
    /// What it prints (console blocks only).
    pub expected: String,
    pub exit: i32,
}

pub fn readme() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// Every ```console and ```sh block of `text`, in order.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let fence = line.trim_start();
        let console = fence == "```console";
        if !console && fence != "```sh" {
            continue;
        }
        let indent = line.len() - fence.len();
        let mut body = Vec::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start() == "```" {
                break;
            }
            body.push(l.get(indent..).unwrap_or(l.trim_start()));
        }
        blocks.push(Block { line: n + 1, console, steps: steps(&body, console) });
    }
    blocks
}

fn steps(body: &[&str], console: bool) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let line = body[i];
        let command_line = if console { line.strip_prefix("$ ") } else { Some(line) };
        let Some(first) = command_line else {
            let step = steps.last_mut().expect("output before the first command");
            step.expected.push_str(line);
            step.expected.push('\n');
            i += 1;
            continue;
        };
        let mut command = first.to_owned();
        while command.ends_with('\\') && i + 1 < body.len() {
            command.pop();
            i += 1;
            command.push(' ');
            command.push_str(body[i].trim());
        }
        i += 1;
        let (command, exit) = match command.rsplit_once("# exit ") {
            Some((c, n)) if n.trim().parse::<i32>().is_ok() => (c.to_owned(), n.trim().parse().unwrap()),
            _ => (command, 0),
        };
        // Other comments are for the reader.
        let command = if console { command } else { command.split(" #").next().unwrap_or("").to_owned() };
        if command.trim().is_empty() {
            continue;
        }
        steps.push(Step { command: command.trim().to_owned(), expected: String::new(), exit });
    }
    steps
}

/// A command line split into words as a shell splits them, without expansion: spaces
/// separate, `'...'` and `"..."` quote.
pub fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Whether `got` is `want`, a `...` line in `want` matching any number of lines.
pub fn matches(want: &str, got: &str) -> bool {
    fn go(want: &[&str], got: &[&str]) -> bool {
        match want.split_first() {
            None => got.is_empty(),
            Some((&"...", rest)) => (0..=got.len()).any(|skip| go(rest, &got[skip..])),
            Some((w, rest)) => got.first().is_some_and(|g| g == w) && go(rest, &got[1..]),
        }
    }
    let (want, got): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    go(&want, &got)
}

/// Runs `cmd` with standard output and error on one pipe, as a terminal would show them.
pub fn run_merged(cmd: &mut std::process::Command) -> (i32, String) {
    use std::io::Read;
    let (mut reader, writer) = std::io::pipe().unwrap();
    cmd.stdout(writer.try_clone().unwrap()).stderr(writer).stdin(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // The command holds the only writers now: reading ends when it exits.
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut out = String::new();
    reader.read_to_string(&mut out).unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, out)
}
