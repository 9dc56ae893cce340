//! A checker key in TOML takes one table or an array of tables:
//! `[virtual_server.real_server.tcp_check]` once, or
//! `[[virtual_server.real_server.tcp_check]]` for each of several checkers
//! of one kind (keepalived runs every TCP_CHECK of a real server, say one
//! on port 80 and one on 443). Errors inside a table keep their own words
//! and place: the table is read as itself, not tried against alternatives.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

/// Read one table or an array of tables.
pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct OneOrMany<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrMany<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a table, or an array of tables")
        }

        fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Vec<T>, M::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(|one| vec![one])
        }

        fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Vec<T>, S::Error> {
            Vec::deserialize(SeqAccessDeserializer::new(seq))
        }
    }

    deserializer.deserialize_any(OneOrMany(PhantomData))
}

/// Write one as a table, several as an array of tables.
pub fn serialize<S, T>(items: &[T], serializer: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    T: Serialize,
{
    match items {
        [one] => one.serialize(serializer),
        many => many.serialize(serializer),
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Check {
        port: u16,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Server {
        #[serde(default, with = "super", skip_serializing_if = "Vec::is_empty")]
        check: Vec<Check>,
    }

    #[test]
    fn one_table_or_several_read_and_write_back_alike() {
        let one: Server = toml::from_str("[check]\nport = 80\n").unwrap();
        assert_eq!(one.check, [Check { port: 80 }]);
        assert_eq!(toml::to_string(&one).unwrap(), "[check]\nport = 80\n");
        let text = "[[check]]\nport = 80\n\n[[check]]\nport = 443\n";
        let two: Server = toml::from_str(text).unwrap();
        assert_eq!(two.check, [Check { port: 80 }, Check { port: 443 }]);
        assert_eq!(toml::to_string(&two).unwrap(), text);
        let none: Server = toml::from_str("").unwrap();
        assert!(none.check.is_empty());
    }

    #[test]
    fn a_mistake_inside_a_table_keeps_its_own_message() {
        let err = toml::from_str::<Server>("[check]\nprot = 80\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `prot`"), "{err}");
        let err =
            toml::from_str::<Server>("[[check]]\nport = 80\n[[check]]\npotr = 1\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `potr`"), "{err}");
    }
}
