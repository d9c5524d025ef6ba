//! `camview config`: every option of `send` and `receive` as it would be
//! used now, written as a configuration file with where each value comes
//! from beside it. And `camview generate`: the man pages and shell
//! completions, from the same clap definitions, for packages.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap_complete::Shell;

use crate::config::file::{ConfigFile, Section};
use crate::config::layers::{self, Origin, Setting};

/// Prints the effective configuration.
pub fn show(file: Option<&ConfigFile>) -> anyhow::Result<()> {
    print!("{}", render(file, &layers::effective(file)?));
    Ok(())
}

/// Writes `DIR/man/camview*.1` (a page per command) and
/// `DIR/completions/{camview.bash,_camview,camview.fish}`.
pub fn generate(dir: &Path) -> anyhow::Result<()> {
    let (man, completions) = (dir.join("man"), dir.join("completions"));
    for made in [&man, &completions] {
        std::fs::create_dir_all(made).with_context(|| format!("creating {}", made.display()))?;
    }
    let cmd = layers::command();
    clap_mangen::generate_to(cmd.clone(), &man)
        .with_context(|| format!("writing man pages into {}", man.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd.clone(), "camview", &completions).with_context(
            || format!("writing {shell} completions into {}", completions.display()),
        )?;
    }
    println!("{}", dir.display());
    Ok(())
}

/// The effective configuration as TOML: a line per option, its origin as a
/// comment; unset options commented out.
pub fn render(file: Option<&ConfigFile>, sections: &[(Section, Vec<Setting>)]) -> String {
    let mut out = match file {
        Some(file) => format!(
            "# camview's effective options; configuration file: {}\n",
            file.path.display()
        ),
        None => "# camview's effective options; no configuration file was read\n".to_owned(),
    };
    for (section, settings) in sections {
        if let Some(mode) = section.mode() {
            let _ = write!(out, "\n[{mode}]\n");
        }
        let lines: Vec<(String, String)> = settings
            .iter()
            .map(|s| (line(s), origin(file, &s.origin)))
            .collect();
        let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (line, origin) in lines {
            let _ = writeln!(out, "{line:width$}  # {origin}");
        }
    }
    out
}

fn line(setting: &Setting) -> String {
    let key = &setting.key;
    if setting.values.is_empty() {
        return format!("# {key} =");
    }
    if setting.flag {
        return format!("{key} = {}", setting.values[0]);
    }
    let value = |v: &String| {
        if v.parse::<f64>().is_ok_and(f64::is_finite) {
            v.clone()
        } else {
            format!("{v:?}")
        }
    };
    if setting.list {
        let items: Vec<String> = setting.values.iter().map(value).collect();
        format!("{key} = [{}]", items.join(", "))
    } else {
        format!("{key} = {}", value(&setting.values[0]))
    }
}

fn origin(file: Option<&ConfigFile>, origin: &Origin) -> String {
    match origin {
        Origin::CommandLine => "command line".into(),
        Origin::Env(var) => format!("environment: {var}"),
        Origin::File(line) => match file {
            Some(file) => format!("{}:{line}", file.path.display()),
            None => format!("line {line}"),
        },
        Origin::Default => "default".into(),
        Origin::Unset => "not set".into(),
    }
}
