//! Every configuration reader on arbitrary bytes: the keepalived.conf
//! lexer and parser (includes, `$VARIABLES`, `@id` lines, `~SEQ`, `~LST`, every
//! section), the ldirectord.cf reader, and native TOML. None may panic,
//! hang or blow up; each must answer with a configuration or diagnostics.
//! Relative `include`s resolve in an empty directory.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static EMPTY_DIR: std::sync::Once = std::sync::Once::new();
    EMPTY_DIR.call_once(|| {
        let dir = std::env::temp_dir().join(format!("director-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::env::set_current_dir(&dir);
    });
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (config, diagnostics) = director::config::keepalived::load_str("fuzz.conf", text);
    assert!(config.is_some() || !diagnostics.is_empty());
    if let Some(config) = config {
        // What loads exports, and the export reads back.
        let exported = director::config::keepalived::to_keepalived(&config);
        let (again, problems) = director::config::keepalived::load_str("export.conf", &exported);
        assert!(
            again.is_some(),
            "an exported configuration must load: {problems:?}\n{exported}"
        );
    }
    let (config, diagnostics) = director::config::ldirectord::load_str("fuzz.cf", text);
    assert!(config.is_some() || !diagnostics.is_empty());
    let _ = director::config::parse_str("fuzz.toml", text);
});
