use super::*;

fn texts(lexed: &Lexed) -> Vec<&str> {
    lexed.tokens.iter().map(|t| t.text.as_str()).collect()
}

#[test]
fn words_braces_quotes_and_comments() {
    let lexed = lex_str("k.conf", "a b{ # c\n  \"x { y\" } ! z\n", None);
    assert_eq!(texts(&lexed), ["a", "b", "{", "x { y", "}"]);
    assert!(lexed.tokens[3].quoted && !lexed.tokens[3].is_open());
    assert_eq!((lexed.tokens[3].at.line, lexed.tokens[3].at.column), (2, 3));
    assert!(lexed.notes.is_empty());
}

#[test]
fn slash_comments_are_accepted_with_a_warning() {
    let lexed = lex_str("k.conf", "router_id a   //主调度器名字\n", None);
    assert_eq!(texts(&lexed), ["router_id", "a"]);
    assert_eq!(lexed.notes.len(), 1);
    assert!(!lexed.notes[0].error);
    assert_eq!((lexed.notes[0].at.line, lexed.notes[0].at.column), (1, 15));
}

#[test]
fn variables_are_defined_and_substituted() {
    let lexed = lex_str(
        "k.conf",
        "$PRIO=150\n$IF=eth0\npriority $PRIO\ninterface ${IF}x\nx $NOPE \"$HOME\"\n",
        None,
    );
    // As keepalived: an undefined parameter stays as written.
    assert_eq!(
        texts(&lexed),
        [
            "priority",
            "150",
            "interface",
            "eth0x",
            "x",
            "$NOPE",
            "$HOME"
        ]
    );
    assert!(lexed.notes.is_empty(), "{:?}", lexed.notes);
}

#[test]
fn substitution_is_recursive_at_the_time_of_use() {
    // keepalived.conf(5), "Parameter substitution".
    let text = "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n";
    assert_eq!(
        texts(&lex_str("k.conf", text, None)),
        ["10.2.0.100/32", "10.2.10.100/32"]
    );
    let looped = lex_str("k.conf", "$A=x$A\n$A\n", None);
    assert!(looped
        .notes
        .iter()
        .any(|n| n.error && n.message.contains("nest deeper")));
}

#[test]
fn multiline_definitions_expand_to_lines_with_conditions() {
    // keepalived.conf(5): a multiline definition, used twice.
    let text = "$INSTANCE= \\\nvrrp_instance VI_${NUM} { \\\n    @high priority 130 \\\n    @low priority 120 \\\n}\n\n$NUM=0\n$INSTANCE\n$NUM=1\n   $INSTANCE\n";
    let lexed = lex_str("k.conf", text, Some("low"));
    assert_eq!(
        texts(&lexed),
        [
            "vrrp_instance",
            "VI_0",
            "{",
            "priority",
            "120",
            "}",
            "vrrp_instance",
            "VI_1",
            "{",
            "priority",
            "120",
            "}"
        ]
    );
    // The expansion is placed where it was asked for.
    assert_eq!(
        (lexed.tokens[6].at.line, lexed.tokens[6].at.column),
        (10, 4)
    );
    assert!(lexed.notes.is_empty(), "{:?}", lexed.notes);
}

#[test]
fn a_parameter_may_carry_a_condition_and_predefined_ones_exist() {
    let text = "$IF_MAIN=@main\n$IF_MAIN priority 240\nx ${_HASH}1 ${_BANG}2 \\#3\n";
    assert_eq!(
        texts(&lex_str("k.conf", text, Some("main"))),
        ["priority", "240", "x", "#1", "!2", "#3"]
    );
    assert_eq!(
        texts(&lex_str("k.conf", text, Some("other"))),
        ["x", "#1", "!2", "#3"]
    );
}

#[test]
fn lists_and_sequences_combine() {
    // keepalived.conf(5), "List blocks".
    let text = "~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,172) 192.${IP2}.${IP}.${IP1}\n";
    assert_eq!(
        texts(&lex_str("k.conf", text, None)),
        [
            "192.168.10.1",
            "192.170.10.1",
            "192.172.10.1",
            "192.168.20.4",
            "192.170.20.4",
            "192.172.20.4"
        ]
    );
}

#[test]
fn conditional_lines_follow_the_config_id() {
    let text = "@lb1 priority 150\n@lb2 priority 100\n@^lb1 state BACKUP\n";
    assert_eq!(
        texts(&lex_str("k.conf", text, Some("lb1"))),
        ["priority", "150"]
    );
    assert_eq!(
        texts(&lex_str("k.conf", text, Some("lb2"))),
        ["priority", "100", "state", "BACKUP"]
    );
}

#[test]
fn includes_expand_globs_relative_to_the_including_file() {
    let dir = std::env::temp_dir().join(format!("director-inc-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(dir.join("main.conf"), "a\ninclude conf.d/*.conf\nz\n").unwrap();
    std::fs::write(dir.join("conf.d/2.conf"), "c\n").unwrap();
    std::fs::write(dir.join("conf.d/1.conf"), "b\n").unwrap();
    std::fs::write(dir.join("conf.d/skip.txt"), "no\n").unwrap();
    let lexed = lex_file(&dir.join("main.conf"), None);
    assert_eq!(texts(&lexed), ["a", "b", "c", "z"]);
    assert!(lexed.tokens[1].at.file.ends_with("conf.d/1.conf"));
    std::fs::write(dir.join("main.conf"), "include main.conf\n").unwrap();
    let looped = lex_file(&dir.join("main.conf"), None);
    assert!(looped
        .notes
        .iter()
        .any(|n| n.error && n.message.contains("nest deeper")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wildcards_match_like_a_shell() {
    assert!(wildcard("*.conf", "a.conf"));
    assert!(!wildcard("*.conf", "a.conf.bak"));
    assert!(wildcard("vs?[0-9].conf", "vsa7.conf"));
    assert!(!wildcard("vs?[0-9].conf", "vsab.conf"));
}

#[test]
fn an_unterminated_string_is_an_error() {
    let lexed = lex_str("k.conf", "script \"/bin/true\n", None);
    assert!(lexed.notes[0].error && lexed.notes[0].message.contains("unterminated"));
}

#[test]
fn seq_repeats_a_line_with_its_variable_nested_and_placed() {
    let lexed = lex_str(
        "k.conf",
        "$NET=192.0.2\n~SEQ(i, 2) ~SEQ(j, 3, 4) r $NET.$i$j\n",
        None,
    );
    assert_eq!(
        texts(&lexed),
        [
            "r",
            "192.0.2.13",
            "r",
            "192.0.2.14",
            "r",
            "192.0.2.23",
            "r",
            "192.0.2.24"
        ]
    );
    // Columns point into the source line, past both ~SEQ prefixes.
    assert_eq!(
        (lexed.tokens[0].at.line, lexed.tokens[0].at.column),
        (2, 26)
    );
    assert!(lexed.notes.is_empty(), "{:?}", lexed.notes);
}

#[test]
fn seq_errors_and_runaway_ranges_are_reported_not_expanded() {
    let lexed = lex_str(
        "k.conf",
        "  ~SEQ(i, 1, 0, 3) x\n~SEQ(i, 1000000000) x $i\n",
        None,
    );
    assert!(lexed.tokens.is_empty());
    assert_eq!(lexed.notes.len(), 2);
    assert!(lexed.notes[0].message.contains("never reaches"));
    assert_eq!((lexed.notes[0].at.line, lexed.notes[0].at.column), (1, 3));
    assert!(lexed.notes[1]
        .message
        .contains("limit of 100000 generated lines"));
}

#[test]
fn only_regular_files_are_included() {
    let lexed = lex_str("k.conf", "include /dev/zero\ninclude /\n", None);
    assert!(lexed.tokens.is_empty());
    assert_eq!(lexed.notes.len(), 2, "{:?}", lexed.notes);
    assert!(lexed
        .notes
        .iter()
        .all(|n| n.error && n.message.contains("is not a regular file")));
}

#[test]
fn multiline_definitions_nest() {
    // keepalived.conf(5): $VS holds definitions and uses $RS.
    let text = "$RS= \\\n    real_server 192.0.2.$N 80 { \\\n        weight 1 \\\n    }\n$VS= \\\nvirtual_server 192.0.2.50 80 { \\\n    $N=21 \\\n    $RS \\\n    $N=22 \\\n    $RS \\\n}\n$VS\n";
    let lexed = lex_str("k.conf", text, None);
    assert_eq!(
        texts(&lexed).join(" "),
        "virtual_server 192.0.2.50 80 { real_server 192.0.2.21 80 { weight 1 } real_server 192.0.2.22 80 { weight 1 } }"
    );
    assert!(lexed.notes.is_empty(), "{:?}", lexed.notes);
}

#[test]
fn parameters_that_double_each_other_stop_at_the_line_limit() {
    let mut text =
        String::from("$P0=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    for level in 1..16 {
        text.push_str(&format!(
            "$P{level}=${{P{}}}${{P{}}}\n",
            level - 1,
            level - 1
        ));
    }
    text.push_str("$P15\n");
    let lexed = lex_str("k.conf", &text, None);
    assert!(lexed.tokens.is_empty());
    assert!(
        lexed
            .notes
            .iter()
            .any(|n| n.error && n.message.contains("longer than 65536 characters")),
        "{:?}",
        lexed.notes
    );
}

#[test]
fn repeating_long_lines_stops_at_the_character_limit() {
    let long = "x".repeat(60_000);
    let text = format!("$L={long}\n~SEQ(i, 1000) $L\n");
    let lexed = lex_str("k.conf", &text, None);
    assert!(lexed.tokens.len() < 1000, "{}", lexed.tokens.len());
    assert!(lexed
        .notes
        .iter()
        .any(|n| n.error && n.message.contains("characters")));
}
