//! How a configuration key is declared and how its value is found.
//!
//! A key is one row of [`declare_keys!`] in `keys.rs`: the field it fills,
//! the table and name it has in `Leptos.toml`, the environment variable that
//! overrides it, and its [`Kind`] — which says how the text is read, what
//! range it must fall in, and what an unset key means. The macro turns the
//! rows into the public struct, the function that reads it, and the list the
//! documentation tests check `Leptos.toml` and the README against.
//!
//! A value is looked for in the environment, then in the file, then taken
//! from the kind's default, and the default is checked like any other value.

use std::collections::BTreeSet;

use super::ConfigError;

/// Where a key lives: `[table]` and `name` in the file, `env` in the
/// environment.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub table: &'static str,
    pub name: &'static str,
    /// `table.name`, as error messages and the README write it.
    pub dotted: &'static str,
    pub env: &'static str,
}

/// A key as the documentation shows it.
#[cfg(test)]
#[derive(Debug)]
pub struct Declared {
    pub key: Key,
    /// The value an unset key takes, as `Leptos.toml` writes it; `None` for
    /// a key that is simply absent when unset.
    pub default: Option<toml::Value>,
    /// The field's doc comment.
    pub about: String,
}

/// A value as it was written: a TOML value in the file, or the text of an
/// environment variable.
#[derive(Debug)]
pub enum Raw {
    File(toml::Value),
    Env(String),
}

impl Raw {
    /// Text: a TOML string, or any environment value.
    pub fn text(self) -> Result<String, String> {
        match self {
            Raw::Env(s) | Raw::File(toml::Value::String(s)) => Ok(s),
            Raw::File(other) => Err(format!("must be text in quotes, not {other}")),
        }
    }

    /// A whole number: a TOML integer, or an environment value of digits.
    pub fn number(self) -> Result<u64, String> {
        match self {
            Raw::File(toml::Value::Integer(i)) => {
                u64::try_from(i).map_err(|_| format!("must be a whole number, not {i}"))
            }
            Raw::Env(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("must be a whole number, not {s:?}")),
            Raw::File(other) => Err(format!("must be a whole number, not {other}")),
        }
    }

    /// A list: a TOML array of strings, or a comma-separated string (which
    /// is how an environment variable writes one).
    pub fn list(self) -> Result<Vec<String>, String> {
        match self {
            Raw::Env(s) | Raw::File(toml::Value::String(s)) => Ok(s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()),
            Raw::File(toml::Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s),
                    other => Err(format!("must list text in quotes, not {other}")),
                })
                .collect(),
            Raw::File(other) => Err(format!("must be a list like [\"10.0.0.1\"], not {other}")),
        }
    }
}

/// How a key's value is read into a `T`, and what it is when unset.
pub trait Kind<T> {
    /// The value of an unset key, as `Leptos.toml` would write it; `None`
    /// when unset means [`Kind::unset`].
    fn default_value(&self) -> Option<toml::Value>;

    /// Reads and checks a value (the one set, or the default); the error
    /// says what is wrong, and the caller names the key.
    fn parse(&self, raw: Raw) -> Result<T, String>;

    /// What a key with no value and no default means.
    fn unset(&self) -> Result<T, String> {
        Err("must be set".into())
    }
}

/// The values start-up reads: the file's tables and the environment.
/// Reading a key takes it out of the file, so that what is left at the end
/// is a key nobody declared.
pub struct Values<'a> {
    path: &'a str,
    file: toml::Table,
    env: &'a dyn Fn(&str) -> Option<String>,
    tables: BTreeSet<&'static str>,
}

impl<'a> Values<'a> {
    pub fn new(path: &'a str, file: toml::Table, env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            path,
            file,
            env,
            tables: BTreeSet::new(),
        }
    }

    /// The value of `key`: from the environment, else the file, else the
    /// default, checked by `kind`.
    pub fn take<T>(&mut self, key: &Key, kind: &impl Kind<T>) -> Result<T, ConfigError> {
        let in_file = self.take_from_file(key)?;
        let in_env = (self.env)(key.env);
        let from_env = in_env.is_some();
        let raw = in_env
            .map(Raw::Env)
            .or(in_file.map(Raw::File))
            .or_else(|| kind.default_value().map(Raw::File));
        let value = match raw {
            Some(raw) => kind.parse(raw),
            None => kind.unset(),
        };
        value.map_err(|message| {
            let message = if from_env {
                format!("{message} (from {})", key.env)
            } else {
                message
            };
            self.bad(key.dotted, message)
        })
    }

    /// An error naming `key` (`table.name`).
    pub fn bad(&self, key: &'static str, message: String) -> ConfigError {
        ConfigError::Value {
            path: self.path.to_owned(),
            key,
            message,
        }
    }

    fn take_from_file(&mut self, key: &Key) -> Result<Option<toml::Value>, ConfigError> {
        self.tables.insert(key.table);
        match self.file.get_mut(key.table) {
            None => Ok(None),
            Some(toml::Value::Table(table)) => Ok(table.remove(key.name)),
            Some(_) => Err(self.unreadable(format!("`{}` must be a table", key.table))),
        }
    }

    /// Refuses whatever no key took: a misspelt key must not be ignored.
    pub fn finish(&self) -> Result<(), ConfigError> {
        for (name, value) in &self.file {
            let unknown = match value {
                toml::Value::Table(table) => match table.keys().next() {
                    Some(key) => Some(format!("{name}.{key}")),
                    None => (!self.tables.contains(name.as_str())).then(|| format!("[{name}]")),
                },
                _ => Some(name.clone()),
            };
            if let Some(unknown) = unknown {
                return Err(self.unreadable(format!("`{unknown}` is not a key the server reads")));
            }
        }
        Ok(())
    }

    fn unreadable(&self, message: String) -> ConfigError {
        ConfigError::Parse {
            path: self.path.to_owned(),
            message,
        }
    }
}

/// Declares a struct whose fields are configuration keys, one row a key:
///
/// ```text
/// /// What the key is for: the field's doc, and the text the documentation
/// /// tests suggest for `Leptos.toml`.
/// field: Type = table."key-name",
///     env "VARIABLE", Kind { default: .., max: .. };
/// ```
///
/// The kind must read a `Type` (`Count` reads `u32`, `usize`, ...). A struct
/// may end with `with field: Type;` lines naming structs declared the same
/// way, which are read into it whole.
macro_rules! declare_keys {
    (@key $table:ident.$key:literal, $env:literal) => {
        $crate::server::config::declare::Key {
            table: stringify!($table),
            name: $key,
            dotted: concat!(stringify!($table), ".", $key),
            env: $env,
        }
    };
    (
        $(#[doc = $struct_doc:literal])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident: $ty:ty = $table:ident.$key:literal, env $env:literal, $kind:expr;
            )*
        }
        $(
            $(#[doc = $nested_doc:literal])*
            with $nested:ident: $nested_ty:ty;
        )*
    ) => {
        $(#[doc = $struct_doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                pub $field: $ty,
            )*
            $(
                $(#[doc = $nested_doc])*
                pub $nested: $nested_ty,
            )*
        }

        impl $name {
            /// Reads every key of this struct (and of those it holds).
            pub(super) fn read(
                values: &mut $crate::server::config::declare::Values<'_>,
            ) -> Result<Self, $crate::server::config::ConfigError> {
                Ok(Self {
                    $(
                        $field: values.take::<$ty>(
                            &declare_keys!(@key $table.$key, $env),
                            &$kind,
                        )?,
                    )*
                    $( $nested: <$nested_ty>::read(values)?, )*
                })
            }

            /// Every key of this struct (and of those it holds), in order.
            #[cfg(test)]
            pub(super) fn declared(out: &mut Vec<$crate::server::config::declare::Declared>) {
                use $crate::server::config::declare::{Declared, Kind};
                $(
                    out.push(Declared {
                        key: declare_keys!(@key $table.$key, $env),
                        default: <_ as Kind<$ty>>::default_value(&$kind),
                        about: concat!($($doc),*).trim().to_owned(),
                    });
                )*
                $( <$nested_ty>::declared(out); )*
            }
        }
    };
}

pub(super) use declare_keys;
