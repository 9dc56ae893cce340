use super::*;

/// The ldirectord.cf of seed 002, as the guide prints it: every line
/// indented alike, Chinese comments after `#`.
const GUIDE: &str = include_str!("../../../tests/fixtures/ldirectord/guide-002.cf");

fn messages(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

#[test]
fn the_guides_file_loads_with_its_warnings_named() {
    let (config, diagnostics) = load_str("ldirectord.cf", GUIDE);
    let config = config.unwrap_or_else(|| panic!("{:?}", messages(&diagnostics)));
    let [service] = config.virtual_servers.as_slice() else {
        panic!("{config:?}");
    };
    assert_eq!(service.address.to_string(), "192.168.34.41");
    assert_eq!(service.port.0, 443);
    assert_eq!(service.scheduler.name(), "wlc");
    assert_eq!(
        service.persistence_timeout.map(|t| t.0.as_secs()),
        Some(600)
    );
    assert_eq!(service.delay_loop.0.as_secs(), 1);
    let sorry = service.sorry_server.as_ref().unwrap();
    assert_eq!(
        (sorry.address.to_string(), sorry.port.0),
        ("127.0.0.1".into(), 443)
    );
    assert_eq!(service.real_servers.len(), 2);
    assert_eq!(service.forwarding, crate::config::Forwarding::Dr, "gate");
    for real in &service.real_servers {
        assert_eq!(real.forwarding, None, "the service's method");
        assert!(real.inhibit_on_failure, "quiescent=yes");
        assert_eq!(real.checker_count(), 0, "checktype=on checks nothing");
    }
    let warnings = messages(&diagnostics);
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(warnings[0].contains("`autoreload` does not apply here"));
    assert!(warnings[1].contains("`logfile` does not apply here"));
    assert!(warnings[2].contains("DR forwarding needs the kernel plane"));
    assert_eq!((diagnostics[1].line, diagnostics[1].column), (5, 7));
}

#[test]
fn checktypes_become_checks() {
    let text = "checktimeout=4\nnegotiatetimeout=9\nvirtual=192.0.2.50:80\n\treal=192.0.2.21:80 masq 3\n\treal=192.0.2.22->192.0.2.23:80 gate 1 \"/alive\", \"ok\"\n\tservice=http\n\trequest=\"index.html\"\n\treceive=\"Test Page\"\n\tvirtualhost=www.example.com\n\tfailurecount=3\n\tquiescent=no\nvirtual=192.0.2.50:25\n\treal=192.0.2.21:25 gate\n\tchecktype=connect\n\tcheckport=2525\nvirtual=192.0.2.50:22\n\treal=192.0.2.21:22\n\tchecktype=external\n\tcheckcommand=/bin/check\n";
    let (config, diagnostics) = load_str("l.cf", text);
    let config = config.unwrap_or_else(|| panic!("{:?}", messages(&diagnostics)));
    assert!(
        diagnostics.iter().all(|d| d
            .message
            .starts_with("DR forwarding needs the kernel plane")),
        "{:?}",
        messages(&diagnostics)
    );
    let web = &config.virtual_servers[0];
    assert_eq!(web.real_servers.len(), 3, "the range gives two");
    let first = &web.real_servers[0];
    assert_eq!(first.weight.0, 3);
    assert_eq!(first.forwarding, Some(crate::config::Forwarding::Nat));
    assert!(!first.inhibit_on_failure);
    assert_eq!(first.fall, Some(3));
    let http = first.http_get.first().unwrap();
    assert_eq!(http.virtualhost.as_deref(), Some("www.example.com"));
    assert_eq!(http.urls[0].path, "/index.html");
    assert_eq!(http.urls[0].regex.as_deref(), Some("Test Page"));
    let own = web.real_servers[2].http_get.first().unwrap();
    assert_eq!(
        (own.urls[0].path.as_str(), own.urls[0].regex.as_deref()),
        ("/alive", Some("ok"))
    );
    let smtp = &config.virtual_servers[1].real_servers[0];
    let tcp = smtp.tcp_check.first().unwrap();
    assert_eq!(tcp.connect_port.map(|p| p.0), Some(2525));
    assert_eq!(tcp.connect_timeout.0.as_secs(), 4);
    let misc = config.virtual_servers[2].real_servers[0]
        .misc_check
        .first()
        .unwrap();
    assert_eq!(misc.misc_path, "/bin/check 192.0.2.50 22 192.0.2.21 22");
}

#[test]
fn mistakes_are_errors_at_their_line_with_suggestions() {
    let text = "virtual=192.0.2.50:80\n  real=192.0.2.21:80 gate\n  schedular=rr\n  real=nowhere:80\n  persistent=soon\nvirtual=1\n";
    let (config, diagnostics) = load_str("l.cf", text);
    assert!(config.is_none());
    let diagnostics: Vec<_> = diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let rendered = messages(&diagnostics);
    assert_eq!(rendered.len(), 4, "{rendered:#?}");
    assert!(rendered[0]
        .contains("unknown directive `schedular` in a virtual section; did you mean `scheduler`?"));
    assert_eq!((diagnostics[0].line, diagnostics[0].column), (3, 3));
    assert!(rendered[1].contains("\"nowhere\" is not an IP address"));
    assert!(rendered[2].contains("persistent takes seconds"));
    assert!(rendered[3].contains("fwmark services"));
}

#[test]
fn problems_the_model_finds_point_back_at_the_cf_line() {
    let text = "virtual=192.0.2.50:80\n  real=192.0.2.21:80 gate\n  scheduler=fastest\n";
    let (_, diagnostics) = load_str("l.cf", text);
    let scheduler = diagnostics
        .iter()
        .find(|d| d.message.contains("fastest"))
        .unwrap_or_else(|| panic!("{:?}", messages(&diagnostics)));
    assert_eq!(scheduler.line, 3);
    assert_eq!(scheduler.source.as_deref(), Some("  scheduler=fastest"));
}

#[test]
fn import_comments_each_service_with_its_line() {
    let (toml, _) = import_str("ldirectord.cf", GUIDE).unwrap();
    assert!(
        toml.contains("# ldirectord.cf line 7: virtual=192.168.34.41:443"),
        "{toml}"
    );
    let config = crate::config::parse_str("imported.toml", &toml).unwrap();
    assert_eq!(config.virtual_servers[0].real_servers.len(), 2);
}

#[test]
fn only_files_with_virtual_lines_read_as_ldirectord() {
    assert!(looks_like(GUIDE));
    assert!(!looks_like(
        "virtual_server 192.0.2.1 80 {\n}\n$virtual=1\n"
    ));
}
