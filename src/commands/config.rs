//! `director config check`, `import` and `export`.

use std::path::Path;

use crate::cli::ExportFormat;
use crate::config;
use crate::config::diagnostic::Severity;

/// `director config check`: 0 when clean, 1 on errors, 2 on warnings only
/// (as `keepalived -t` separates them).
pub fn check(file: &Path, json: bool) -> i32 {
    let diagnostics = match config::load_file(file) {
        Ok(loaded) => loaded.warnings,
        Err(diagnostics) => diagnostics,
    };
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&diagnostics).unwrap_or_default()
        );
    } else {
        for d in &diagnostics {
            eprint!("{}", d.render());
        }
        match (errors, warnings) {
            (0, 0) => println!("{}: ok", file.display()),
            (0, w) => eprintln!("{}: usable, with {w} warning(s)", file.display()),
            (e, w) => eprintln!("{}: {e} error(s), {w} warning(s)", file.display()),
        }
    }
    match (errors, warnings) {
        (0, 0) => 0,
        (0, _) => 2,
        _ => 1,
    }
}

fn print_all(diagnostics: &[config::Diagnostic]) {
    for d in diagnostics {
        eprint!("{}", d.render());
    }
}

/// `director config import`: the file as native TOML.
pub fn import(file: &Path) -> i32 {
    match config::import(file) {
        Ok((toml, warnings)) => {
            print_all(&warnings);
            print!("{toml}");
            0
        }
        Err(diagnostics) => {
            print_all(&diagnostics);
            1
        }
    }
}

/// `director config export`: the file in another syntax.
pub fn export(file: &Path, format: ExportFormat) -> i32 {
    match config::load_file(file) {
        Ok(loaded) => {
            print_all(&loaded.warnings);
            match format {
                ExportFormat::Keepalived => {
                    print!("{}", config::keepalived::to_keepalived(&loaded.config))
                }
                ExportFormat::Toml => match toml::to_string(&loaded.config) {
                    Ok(text) => print!("{text}"),
                    Err(e) => {
                        eprintln!("director: cannot write TOML: {e}");
                        return 1;
                    }
                },
            }
            0
        }
        Err(diagnostics) => {
            print_all(&diagnostics);
            1
        }
    }
}
