//! Where each option's value comes from: the command line over the
//! environment over the configuration file over the default.
//!
//! The options themselves are clap's (`cli.rs`), so the file and the
//! environment take exactly what the command line takes, checked by the
//! same value parsers: a key is a long option's name (a positional's is its
//! name in `--help`, e.g. `addr`), an environment variable is
//! `CAMVIEW_<MODE>_<OPTION>` (e.g. `CAMVIEW_SEND_BITRATE`). The file's
//! values are given to clap as arguments after the user's own, for each
//! option the user set neither on the command line nor in the environment.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::FalseyValueParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, CommandFactory as _, FromArgMatches as _};
use thiserror::Error;

use super::ConfigError;
use super::file::{ConfigFile, Entry, FileError, Section, Value};
use crate::cli::Cli;

/// Global options the file does not set: they choose the file.
const NOT_IN_FILE: [&str; 4] = ["config", "no_config", "help", "version"];

/// Why the options could not be put together.
#[derive(Debug, Error)]
pub enum LayerError {
    /// The command line itself (or `--help`/`--version`: `exit()` shows them).
    #[error(transparent)]
    Cli(#[from] clap::Error),
    /// The configuration file.
    #[error(transparent)]
    File(Box<FileError>),
}

impl From<FileError> for LayerError {
    fn from(error: FileError) -> Self {
        Self::File(Box::new(error))
    }
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The command line.
    CommandLine,
    /// This environment variable.
    Env(String),
    /// This line of the configuration file.
    File(usize),
    /// The option's default.
    Default,
    /// Nowhere: the option is not set.
    Unset,
}

/// One option's effective value, as `camview config` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The key (the long option's name).
    pub key: String,
    /// Its values (none when unset); a flag is `true` or `false`.
    pub values: Vec<String>,
    /// Whether the option takes a list.
    pub list: bool,
    /// Whether the option is a switch.
    pub flag: bool,
    /// Where the value came from.
    pub origin: Origin,
}

/// The command line with the file and the environment under it.
#[derive(Debug)]
pub struct Layered {
    /// The options, as if all were given on the command line.
    pub cli: Cli,
    /// The configuration file read, if any.
    pub file: Option<ConfigFile>,
    /// The running mode's options and where each came from, by clap id.
    origins: BTreeMap<String, (String, Origin)>,
}

impl Layered {
    /// Parses `argv` (program name first) over the configuration file and
    /// the environment.
    pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Self, LayerError> {
        let argv: Vec<OsString> = argv.into_iter().collect();
        let cmd = command();
        let first = cmd
            .clone()
            .ignore_errors(true)
            .try_get_matches_from(&argv)?;
        let file = load(&cmd, &first)?;
        let mode = first.subcommand_name().map(str::to_owned);
        let (args, from_file) = with_file(&cmd, &first, argv, file.as_ref());
        let matches = cmd.clone().try_get_matches_from(&args)?;
        let cli = Cli::from_arg_matches(&matches)?;
        let origins = match (mode.as_deref(), matches.subcommand()) {
            (Some(mode), Some((_, sub))) => built(&cmd, mode)
                .map(|sub_cmd| {
                    file_args(&sub_cmd)
                        .map(|(key, arg)| {
                            let id = arg.get_id().to_string();
                            let origin = origin(sub, &arg, from_file.get(&id));
                            (id, (key, origin))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => BTreeMap::new(),
        };
        Ok(Self { cli, file, origins })
    }

    /// `error` (from validating the running mode's options), naming the
    /// file and line when the option that is wrong came from the file.
    pub fn blame(&self, error: ConfigError) -> anyhow::Error {
        let located = error.option().and_then(|key| {
            let (_, origin) = self.origins.values().find(|(k, _)| k == key)?;
            let (Origin::File(line), Some(file)) = (origin, &self.file) else {
                return None;
            };
            Some(format!("{}:{line}: `{key}`", file.path.display()))
        });
        match located {
            Some(place) => anyhow::Error::new(error).context(place),
            None => error.into(),
        }
    }
}

/// Every option's effective value, by section, as `camview config` shows
/// it: the file and the environment of this process, no command line.
pub fn effective(file: Option<&ConfigFile>) -> Result<Vec<(Section, Vec<Setting>)>, LayerError> {
    let cmd = command();
    let mut out = Vec::new();
    for section in [Section::Top, Section::Send, Section::Receive] {
        let mode = section.mode().unwrap_or("send");
        let argv: Vec<OsString> = vec!["camview".into(), mode.into()];
        let first = cmd
            .clone()
            .ignore_errors(true)
            .try_get_matches_from(&argv)?;
        let (args, from_file) = with_file(&cmd, &first, argv, file);
        let matches = cmd
            .clone()
            .ignore_errors(true)
            .try_get_matches_from(&args)?;
        let Some((_, sub)) = matches.subcommand() else {
            continue;
        };
        let Some(sub_cmd) = built(&cmd, mode) else {
            continue;
        };
        let settings = file_args(&sub_cmd)
            .filter(|(_, arg)| arg.is_global_set() == (section == Section::Top))
            .map(|(key, arg)| {
                let id = arg.get_id().as_str();
                let flag = matches!(arg.get_action(), ArgAction::SetTrue);
                let values = if flag {
                    vec![sub.get_flag(id).to_string()]
                } else if matches!(arg.get_action(), ArgAction::Count) {
                    vec![sub.get_count(id).to_string()]
                } else {
                    sub.get_raw(id)
                        .into_iter()
                        .flatten()
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect()
                };
                Setting {
                    key,
                    values,
                    list: matches!(arg.get_action(), ArgAction::Append),
                    flag,
                    origin: origin(sub, &arg, from_file.get(id)),
                }
            })
            .collect();
        out.push((section, settings));
    }
    Ok(out)
}

/// The configuration file `matches` points at (`--config`, or the usual
/// places unless `--no-config`), read and checked against every mode's
/// options in `cmd` (the command [`command`] built).
pub fn load(cmd: &clap::Command, matches: &ArgMatches) -> Result<Option<ConfigFile>, LayerError> {
    // Global options: in the subcommand's matches when given after it.
    let scopes = [matches.subcommand().map(|(_, sub)| sub), Some(matches)];
    let scopes = scopes.into_iter().flatten();
    if scopes
        .clone()
        .any(|m| m.try_get_one::<bool>("no_config").ok().flatten() == Some(&true))
    {
        return Ok(None);
    }
    let explicit = scopes
        .filter_map(|m| m.try_get_one::<PathBuf>("config").ok().flatten())
        .next();
    let Some(path) = ConfigFile::locate(explicit.map(PathBuf::as_path)) else {
        return Ok(None);
    };
    let file = ConfigFile::load(&path)?;
    check(cmd, &file)?;
    Ok(Some(file))
}

/// The command line as clap builds it, with each mode's options also read
/// from `CAMVIEW_<MODE>_<OPTION>`.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for mode in ["send", "receive"] {
        cmd = cmd.mut_subcommand(mode, |sub| {
            sub.mut_args(|arg| {
                if arg.is_global_set() || NOT_IN_FILE.contains(&arg.get_id().as_str()) {
                    return arg;
                }
                let name = arg
                    .get_long()
                    .unwrap_or(arg.get_id().as_str())
                    .replace('-', "_")
                    .to_uppercase();
                let arg = arg.env(format!("CAMVIEW_{}_{name}", mode.to_uppercase()));
                // A switch in the environment: 1, yes, true (0, no, false: off).
                match arg.get_action() {
                    ArgAction::SetTrue => arg.value_parser(FalseyValueParser::new()),
                    _ => arg,
                }
            })
        });
    }
    cmd
}

/// `mode`'s subcommand, built so that it lists the global options too.
fn built(cmd: &clap::Command, mode: &str) -> Option<clap::Command> {
    let mut cmd = cmd.clone();
    cmd.build();
    cmd.find_subcommand(mode).cloned()
}

/// The options a file may set, with their keys: every visible option that
/// takes a value or is a switch.
fn file_args(cmd: &clap::Command) -> impl Iterator<Item = (String, Arg)> + '_ {
    cmd.get_arguments()
        .filter(|arg| !arg.is_hide_set() && !NOT_IN_FILE.contains(&arg.get_id().as_str()))
        .filter(|arg| {
            matches!(
                arg.get_action(),
                ArgAction::Set | ArgAction::Append | ArgAction::SetTrue | ArgAction::Count
            )
        })
        .map(|arg| {
            let key = arg.get_long().unwrap_or(arg.get_id().as_str()).to_owned();
            (key, arg.clone())
        })
}

/// Checks every entry of `file` against the options of its section.
fn check(cmd: &clap::Command, file: &ConfigFile) -> Result<(), FileError> {
    for (section, entries) in &file.sections {
        let mode = section.mode().unwrap_or("send");
        let Some(sub) = built(cmd, mode) else {
            continue;
        };
        let args: Vec<_> = file_args(&sub)
            .filter(|(_, arg)| arg.is_global_set() == (*section == Section::Top))
            .collect();
        for entry in entries {
            let Some((_, arg)) = args.iter().find(|(key, _)| *key == entry.key) else {
                let keys: Vec<&str> = args.iter().map(|(key, _)| key.as_str()).collect();
                return Err(FileError::Key {
                    path: file.path.clone(),
                    line: entry.line,
                    section: *section,
                    key: entry.key.clone(),
                    hint: suggestion(&entry.key, &keys),
                    valid: keys.join(", "),
                });
            };
            check_value(arg, entry).map_err(|reason| FileError::Value {
                path: file.path.clone(),
                line: entry.line,
                section: *section,
                key: entry.key.clone(),
                reason,
            })?;
        }
    }
    Ok(())
}

/// Whether `arg` takes the entry's value, through its own value parser.
fn check_value(arg: &Arg, entry: &Entry) -> Result<(), String> {
    let values = match (arg.get_action(), &entry.value) {
        (ArgAction::SetTrue, Value::Bool(_)) => return Ok(()),
        (ArgAction::SetTrue, _) => return Err("give true or false".into()),
        (ArgAction::Count, Value::Text(n)) if n.parse::<u8>().is_ok_and(|n| n <= 3) => {
            return Ok(());
        }
        (ArgAction::Count, _) => return Err("give a number from 0 to 3".into()),
        (_, Value::Bool(_)) => return Err("give a value, not true or false".into()),
        (ArgAction::Append, Value::List(items)) => items.clone(),
        (_, Value::List(_)) => return Err("give one value, not a list".into()),
        (_, Value::Text(text)) => vec![text.clone()],
    };
    // The option alone, without its relations to others, parsing the value
    // as the command line would.
    let alone = clap::Command::new("camview").no_binary_name(true).arg(
        Arg::new(arg.get_id().clone())
            .long(arg.get_id().to_string())
            .action(ArgAction::Set)
            .value_parser(arg.get_value_parser().clone()),
    );
    for value in values {
        let given = [format!("--{}={value}", arg.get_id())];
        if let Err(e) = alone.clone().try_get_matches_from(given) {
            let possible: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|p| p.get_name().to_owned())
                .collect();
            return Err(if possible.is_empty() {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or_default();
                let reason = first.rsplit("': ").next().unwrap_or(first);
                format!("`{value}` is not valid: {reason}")
            } else {
                format!("`{value}` is not one of: {}", possible.join(", "))
            });
        }
    }
    Ok(())
}

/// " (did you mean `k`?)" for the key closest to `key`, if one is close.
fn suggestion(key: &str, keys: &[&str]) -> String {
    let normal = key.replace('_', "-").to_lowercase();
    keys.iter()
        .map(|k| (edit_distance(&normal, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// `argv` with the file's values for the options it left alone, and the
/// lines those values came from, by clap id.
fn with_file(
    cmd: &clap::Command,
    first: &ArgMatches,
    mut argv: Vec<OsString>,
    file: Option<&ConfigFile>,
) -> (Vec<OsString>, BTreeMap<String, usize>) {
    let mut from_file = BTreeMap::new();
    let (Some(file), Some((mode, sub))) = (file, first.subcommand()) else {
        return (argv, from_file);
    };
    let Some(sub_cmd) = built(cmd, mode) else {
        return (argv, from_file);
    };
    let sections = [Some(Section::Top), Section::of_mode(mode)];
    for section in sections.into_iter().flatten() {
        for entry in file.entries(section) {
            let Some((_, arg)) = file_args(&sub_cmd).find(|(key, _)| *key == entry.key) else {
                continue;
            };
            let id = arg.get_id().as_str();
            let given = |id: &str| {
                [first, sub].iter().any(|m| {
                    m.ids().any(|i| i.as_str() == id)
                        && matches!(
                            m.value_source(id),
                            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
                        )
                })
            };
            if given(id)
                || sub_cmd
                    .get_arg_conflicts_with(&arg)
                    .iter()
                    .any(|other| given(other.get_id().as_str()))
            {
                continue;
            }
            from_file.insert(id.to_owned(), entry.line);
            argv.extend(as_args(&arg, &entry.value));
        }
    }
    (argv, from_file)
}

/// The arguments that give `arg` the value `value`.
fn as_args(arg: &Arg, value: &Value) -> Vec<OsString> {
    let flag = || match arg.get_long() {
        Some(long) => OsString::from(format!("--{long}")),
        None => OsString::new(),
    };
    let values = match value {
        Value::Bool(false) => return Vec::new(),
        Value::Bool(true) => return vec![flag()],
        Value::Text(n) if matches!(arg.get_action(), ArgAction::Count) => {
            return vec![flag(); n.parse().unwrap_or(0)];
        }
        Value::Text(text) => vec![text.clone()],
        Value::List(items) => items.clone(),
    };
    values
        .into_iter()
        .flat_map(|v| match arg.get_long() {
            // `--key=value`, so that a value starting with `-` stays a value.
            Some(long) => vec![OsString::from(format!("--{long}={v}"))],
            None => vec![OsString::from(v)],
        })
        .collect()
}

/// Where `arg`'s value in `matches` came from.
fn origin(matches: &ArgMatches, arg: &Arg, file_line: Option<&usize>) -> Origin {
    if let Some(line) = file_line {
        return Origin::File(*line);
    }
    match matches.value_source(arg.get_id().as_str()) {
        Some(ValueSource::CommandLine) => Origin::CommandLine,
        Some(ValueSource::EnvVariable) => Origin::Env(
            arg.get_env()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        Some(ValueSource::DefaultValue) => Origin::Default,
        _ => Origin::Unset,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn file(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("/etc/camview/camview.toml"), text).unwrap()
    }

    fn checked(text: &str) -> String {
        match check(&command(), &file(text)) {
            Ok(()) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_error_names_the_file_the_line_and_what_would_do() {
        let cases = [
            "[send]\nbitrate = 3000\nsize = \"1280x720\"\npeer = [\"a\", \"b\"]\n",
            "[send]\nbitrat = 3000\n",
            "[send]\nmin_bitrate = 300\n",
            "[receive]\nsource = \"test\"\n",
            "[send]\ntransport = \"udp\"\n",
            "[send]\nbitrate = \"fast\"\n",
            "[send]\nfps = 1000\n",
            "[receive]\nheadless = \"yes\"\n",
            "[receive]\nlatency = true\n",
            "[send]\nsource = [\"test\"]\n",
            "bitrate = 3000\n",
            "verbose = 9\n",
        ];
        let report: String = cases
            .iter()
            .map(|case| format!("{}\n=> {}\n\n", case.trim_end(), checked(case)))
            .collect();
        insta::assert_snapshot!(report);
    }

    fn parsed(argv: &[&str], text: &str) -> Cli {
        let cmd = command();
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let first = cmd
            .clone()
            .ignore_errors(true)
            .try_get_matches_from(&argv)
            .unwrap();
        let file = file(text);
        check(&cmd, &file).unwrap();
        let (args, _) = with_file(&cmd, &first, argv, Some(&file));
        Cli::from_arg_matches(&cmd.try_get_matches_from(args).unwrap()).unwrap()
    }

    #[test]
    fn the_command_line_wins_over_the_file() {
        let text = "config-dir = \"/var/lib/camview\"\n[send]\nbitrate = 3000\nfps = 15\npeer = [\"a\"]\n[receive]\naddr = \"camera.local\"\nheadless = true\n";
        let crate::cli::Command::Send(send) = parsed(
            &["camview", "send", "--fps", "25", "--listen", ":9000"],
            text,
        )
        .command
        else {
            panic!("not send");
        };
        assert_eq!((send.bitrate, send.fps), (3000, 25));
        assert_eq!(send.peers, ["a"]);
        let cli = parsed(&["camview", "receive", "--listen", ":9000"], text);
        assert_eq!(cli.config_dir, Some(PathBuf::from("/var/lib/camview")));
        let crate::cli::Command::Receive(receive) = cli.command else {
            panic!("not receive");
        };
        // The file's address conflicts with --listen, so it stays out.
        assert!(receive.addr.is_empty());
        assert!(receive.headless);
        let crate::cli::Command::Receive(receive) = parsed(&["camview", "receive"], text).command
        else {
            panic!("not receive");
        };
        assert_eq!(receive.addr, ["camera.local"]);
    }

    #[test]
    fn close_keys_are_suggested() {
        assert_eq!(
            suggestion("bitrat", &["bitrate", "fps"]),
            " (did you mean `bitrate`?)"
        );
        assert_eq!(
            suggestion("max_viewers", &["max-viewers"]),
            " (did you mean `max-viewers`?)"
        );
        assert_eq!(suggestion("colour", &["bitrate", "fps"]), "");
    }
}
