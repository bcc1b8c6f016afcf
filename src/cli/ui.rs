//! Terminal output: colour (off with `--no-color`, `NO_COLOR`, or when not a terminal), errors with a
//! `hint:` line, the confirmation prompt, and apply progress lines.

use crate::apply::{Event, Progress};
use crate::plan::Action;
use crate::plan::render::Style;
use is_terminal::IsTerminal;
use std::io::{BufRead, Write};
use std::sync::Mutex;
use std::time::Duration;

pub struct Ui {
    pub out: Style,
    pub err: Style,
    /// `--input=false`: never ask anything, even on a terminal.
    pub input: bool,
}

impl Ui {
    pub fn new(no_color: bool, input: bool) -> Ui {
        let allowed = !no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Ui {
            input,
            out: Style {
                color: allowed && std::io::stdout().is_terminal(),
            },
            err: Style {
                color: allowed && std::io::stderr().is_terminal(),
            },
        }
    }

    /// An error, on stderr.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        let mut e = std::io::stderr().lock();
        if message.starts_with("error") || message.starts_with("warning") {
            // Rendered diagnostics carry their own headers.
            let _ = writeln!(e, "{message}");
        } else {
            let _ = writeln!(e, "{} {message}", self.err.red(&self.err.bold("Error:")));
        }
        if let Some(h) = hint {
            let _ = writeln!(e, "{} {h}", self.err.cyan("hint:"));
        }
    }

    pub fn warn(&self, message: &str) {
        let _ = writeln!(
            std::io::stderr(),
            "{} {message}",
            self.err.yellow(&self.err.bold("Warning:"))
        );
    }

    /// Information about the run, on stderr.
    pub fn info(&self, message: &str) {
        let _ = writeln!(std::io::stderr(), "{message}");
    }

    /// The command's result, on stdout.
    pub fn print(&self, text: &str) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text.as_bytes());
        let _ = o.flush();
    }

    /// Asks for "yes" on the terminal. Without a terminal, refuses: CI must say --auto-approve or apply a
    /// saved plan.
    pub fn confirm(&self, question: &str, detail: &str) -> Result<bool, super::CliError> {
        if !self.input {
            return Err(
                super::CliError::new("confirmation is required, but --input=false forbids asking").with_hint(
                    "run with --auto-approve, or save a plan with `infra plan --out FILE` and apply that file",
                ),
            );
        }
        if !std::io::stdin().is_terminal() {
            return Err(
                super::CliError::new("confirmation is required, but there is no terminal to ask on").with_hint(
                    "run with --auto-approve, or save a plan with `infra plan --out FILE` and apply that file",
                ),
            );
        }
        self.print(&format!(
            "\n{}\n  {detail}\n  Only 'yes' will be accepted to approve.\n\n  {} ",
            self.out.bold(question),
            self.out.bold("Enter a value:")
        ));
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| super::CliError::new(format!("cannot read the answer: {e}")))?;
        Ok(line.trim() == "yes")
    }
}

/// Prints apply progress in Terraform's words.
pub struct Printer {
    pub style: Style,
    lock: Mutex<()>,
}

impl Printer {
    pub fn new(style: Style) -> Printer {
        Printer {
            style,
            lock: Mutex::new(()),
        }
    }
}

fn verbs(action: Action, deposed: bool) -> (&'static str, &'static str, &'static str) {
    match action {
        Action::Create => ("Creating...", "Still creating...", "Creation complete"),
        Action::Update => ("Modifying...", "Still modifying...", "Modifications complete"),
        Action::Delete if deposed => (
            "Destroying (deposed object)...",
            "Still destroying...",
            "Destruction complete",
        ),
        Action::Delete => ("Destroying...", "Still destroying...", "Destruction complete"),
        Action::Read => ("Reading...", "Still reading...", "Read complete"),
        Action::Replace | Action::NoOp => ("Working...", "Still working...", "Complete"),
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Progress for Printer {
    fn event(&self, e: Event) {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let line = match e {
            Event::Started { addr, action, deposed } => {
                format!("{}: {}", self.style.bold(&addr), verbs(action, deposed).0)
            }
            Event::Still {
                addr,
                action,
                deposed,
                elapsed,
                status,
            } => {
                let s = status.map(|s| format!(" ({s})")).unwrap_or_default();
                format!(
                    "{}: {} [{} elapsed]{s}",
                    self.style.bold(&addr),
                    verbs(action, deposed).1,
                    secs(elapsed)
                )
            }
            Event::Finished {
                addr,
                action,
                deposed,
                elapsed,
                id,
            } => {
                let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
                format!(
                    "{}: {} after {}{id}",
                    self.style.bold(&addr),
                    verbs(action, deposed).2,
                    secs(elapsed)
                )
            }
            Event::Failed { addr, error, .. } => {
                format!("{}: {} {error}", self.style.bold(&addr), self.style.red("failed:"))
            }
            Event::Skipped { addr, because } => {
                format!("{}: not applied, because {because} failed", self.style.bold(&addr))
            }
        };
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{line}");
        let _ = o.flush();
    }
}
