//! The configuration file, `camview.toml`: where it is looked for, and its
//! text read into entries that remember their line. Which keys exist and
//! what values they take is the command line's knowledge (`layers.rs`): a
//! key is a long option's name, in the section of the mode it belongs to.
//!
//! ```toml
//! config-dir = "/var/lib/camview"   # any mode: where the identity lives
//!
//! [send]
//! source = "v4l2:/dev/video0"
//! size = "1280x720"
//! bitrate = 3000
//! peer = ["kitchen-laptop"]
//!
//! [receive]
//! latency = "80ms"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;
use toml::de::{DeTable, DeValue};

/// The file's name, in the user's config directory or `/etc/camview`.
pub const FILE_NAME: &str = "camview.toml";

/// The system-wide file, read when the user has none.
pub const SYSTEM_FILE: &str = "/etc/camview/camview.toml";

/// A configuration file that cannot be used.
#[derive(Debug, Error)]
pub enum FileError {
    /// Missing (when named explicitly) or unreadable.
    #[error("cannot read the configuration file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Not TOML.
    #[error("{}:{line}: not valid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// The parser's words.
        message: String,
    },
    /// A table other than `[send]` and `[receive]`.
    #[error(
        "{}:{line}: unknown section [{name}]; the file has a [send] and a [receive] section, and config-dir at the top",
        path.display()
    )]
    Section {
        /// The file.
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// The section's name.
        name: String,
    },
    /// A key that is no option of its section's mode.
    #[error(
        "{}:{line}: unknown key `{key}` {section}{hint}; the keys there are: {valid}",
        path.display()
    )]
    Key {
        /// The file.
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// Where the key is.
        section: Section,
        /// The key as written.
        key: String,
        /// " (did you mean `…`?)" or nothing.
        hint: String,
        /// Every key the section takes.
        valid: String,
    },
    /// A value its option does not take.
    #[error("{}:{line}: `{key}` {section}: {reason}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// Where the key is.
        section: Section,
        /// The key.
        key: String,
        /// What is wrong and what would be right.
        reason: String,
    },
}

/// A value as the file gives it; options take text, so numbers keep the
/// spelling they had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string, integer or float.
    Text(String),
    /// `true` or `false`.
    Bool(bool),
    /// An array of strings or numbers.
    List(Vec<String>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "{text:?}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::List(items) => write!(f, "{items:?}"),
        }
    }
}

/// One `key = value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key, as written.
    pub key: String,
    /// 1-based line of the key.
    pub line: usize,
    /// The value.
    pub value: Value,
}

/// Where in the file an entry sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Above the first table: options every mode shares.
    Top,
    /// `[send]`.
    Send,
    /// `[receive]`.
    Receive,
}

impl Section {
    /// The mode (subcommand) whose options the section holds.
    pub fn mode(self) -> Option<&'static str> {
        match self {
            Self::Top => None,
            Self::Send => Some("send"),
            Self::Receive => Some("receive"),
        }
    }

    /// The section holding `mode`'s options.
    pub fn of_mode(mode: &str) -> Option<Self> {
        match mode {
            "send" => Some(Self::Send),
            "receive" => Some(Self::Receive),
            _ => None,
        }
    }
}

impl fmt::Display for Section {
    /// Where an entry is: "in [send]", "at the top level".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode() {
            Some(mode) => write!(f, "in [{mode}]"),
            None => f.write_str("at the top level"),
        }
    }
}

/// A parsed configuration file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its entries, by section, in key order.
    pub sections: BTreeMap<Section, Vec<Entry>>,
}

impl ConfigFile {
    /// The file to read: `explicit` (`--config`), else the user's
    /// (`$XDG_CONFIG_HOME/camview/camview.toml` or
    /// `~/.config/camview/camview.toml`), else the system's, if they exist.
    pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
        if let Some(path) = explicit {
            return Some(path.to_owned());
        }
        let user = match std::env::var_os("XDG_CONFIG_HOME") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
        };
        [
            user.join("camview").join(FILE_NAME),
            PathBuf::from(SYSTEM_FILE),
        ]
        .into_iter()
        .find(|p| p.is_file())
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        let text = std::fs::read_to_string(path).map_err(|error| FileError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::parse(path, &text)
    }

    /// Parses `text`, the contents of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let root = DeTable::parse(text).map_err(|e| FileError::Syntax {
            path: path.to_owned(),
            line: line_of(e.span().map_or(0, |s| s.start)),
            message: e.message().trim().to_owned(),
        })?;
        let mut file = Self {
            path: path.to_owned(),
            sections: BTreeMap::new(),
        };
        for (key, value) in root.get_ref() {
            let line = line_of(key.span().start);
            if let DeValue::Table(table) = value.get_ref() {
                let section =
                    Section::of_mode(key.get_ref()).ok_or_else(|| FileError::Section {
                        path: path.to_owned(),
                        line,
                        name: key.get_ref().to_string(),
                    })?;
                for (key, value) in table {
                    let entry = file.entry(
                        section,
                        key.get_ref(),
                        line_of(key.span().start),
                        value.get_ref(),
                    )?;
                    file.sections.entry(section).or_default().push(entry);
                }
            } else {
                let entry = file.entry(Section::Top, key.get_ref(), line, value.get_ref())?;
                file.sections.entry(Section::Top).or_default().push(entry);
            }
        }
        Ok(file)
    }

    /// The entries of `section`.
    pub fn entries(&self, section: Section) -> &[Entry] {
        self.sections.get(&section).map_or(&[], Vec::as_slice)
    }

    fn entry(
        &self,
        section: Section,
        key: &str,
        line: usize,
        value: &DeValue<'_>,
    ) -> Result<Entry, FileError> {
        let bad = |reason: &str| FileError::Value {
            path: self.path.clone(),
            line,
            section,
            key: key.to_owned(),
            reason: reason.to_owned(),
        };
        let value = match value {
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Array(items) => Value::List(
                items
                    .iter()
                    .map(|item| scalar(item.get_ref()))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("a list holds only strings and numbers"))?,
            ),
            DeValue::Table(_) => return Err(bad("sections do not nest; give a value")),
            other => Value::Text(scalar(other).ok_or_else(|| bad("give a string or a number"))?),
        };
        Ok(Entry {
            key: key.to_owned(),
            line,
            value,
        })
    }
}

/// A string or number as the text an option would take.
fn scalar(value: &DeValue<'_>) -> Option<String> {
    match value {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) if i.radix() == 10 => Some(i.as_str().replace('_', "")),
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .ok()
            .map(|n| n.to_string()),
        DeValue::Float(f) => Some(f.as_str().replace('_', "")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, FileError> {
        ConfigFile::parse(Path::new("camview.toml"), text)
    }

    #[test]
    fn entries_keep_their_section_and_line() {
        let file = parse(
            "config-dir = \"/var/lib/camview\"\n\n[send]\nbitrate = 3_000\nsource = \"test\"\npeer = [\"a\", \"b\"]\n\n[receive]\nheadless = true\nduration = 2.5\n",
        )
        .unwrap();
        assert_eq!(
            file.entries(Section::Top),
            [Entry {
                key: "config-dir".into(),
                line: 1,
                value: Value::Text("/var/lib/camview".into())
            }]
        );
        let send: Vec<_> = file
            .entries(Section::Send)
            .iter()
            .map(|e| (e.key.as_str(), e.line, e.value.clone()))
            .collect();
        assert!(send.contains(&("bitrate", 4, Value::Text("3000".into()))));
        assert!(send.contains(&("peer", 6, Value::List(vec!["a".into(), "b".into()]))));
        let receive = file.entries(Section::Receive);
        assert!(receive.contains(&Entry {
            key: "headless".into(),
            line: 9,
            value: Value::Bool(true)
        }));
        assert!(receive.contains(&Entry {
            key: "duration".into(),
            line: 10,
            value: Value::Text("2.5".into())
        }));
    }

    #[test]
    fn what_cannot_be_an_option_is_refused_with_its_line() {
        let line = |text: &str| match parse(text) {
            Err(
                FileError::Syntax { line, .. }
                | FileError::Section { line, .. }
                | FileError::Value { line, .. },
            ) => line,
            other => panic!("{other:?}"),
        };
        assert_eq!(line("[send]\nbitrate = \n"), 2);
        assert_eq!(line("\n[sned]\nfps = 30\n"), 2);
        assert_eq!(line("[send]\n\npeer = [1, {a = 1}]\n"), 3);
        assert_eq!(line("[send]\nsize = {w = 1}\n"), 2);
        assert_eq!(line("[send]\nwhen = 1979-05-27\n"), 2);
    }

    #[test]
    fn an_empty_file_has_no_entries() {
        assert_eq!(parse("# nothing yet\n").unwrap().sections.len(), 0);
    }
}
