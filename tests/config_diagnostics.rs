//! Golden diagnostics: what `director config check` prints for broken
//! configurations of each syntax, as compiler-style messages with the
//! offending line and a caret. A change in wording or position shows as a
//! snapshot diff.

use director::config::keepalived;
use director::config::ldirectord;
use director::config::Diagnostic;

fn rendered(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(Diagnostic::render).collect()
}

fn keepalived_conf(text: &str) -> String {
    rendered(&keepalived::load_str("keepalived.conf", text).1)
}

#[test]
fn keepalived_conf_typos_values_and_braces() {
    insta::assert_snapshot!(
        "keepalived_typos_values_and_braces",
        keepalived_conf(
            "vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 300\n    priorty 100\n    advert_intt 1\n    virtual_ipaddress {\n        192.0.2.50/33\n    }\n}\nvirtual_server 192.0.2.50 80 {\n    lb_algo wrrr\n    real_server 192.0.2.21 80 {\n        weight -1\n        TCP_CHECK {\n            connect_timeout soon\n        }\n    }\n"
        )
    );
}

#[test]
fn keepalived_conf_guide_habits_and_deprecations() {
    insta::assert_snapshot!(
        "keepalived_guide_habits",
        keepalived_conf(
            "global_defs {\n    router_id LVS_1   // the director's name\n}\nvirtual_server 192.0.2.50 80 {\n    lb_algo rr\n    lb_kind DR\n    nb_get_retry 3\n    real_server 192.0.2.21 80 {\n        TCP_CHECK {\n            nb_get_retry 3\n            delay_before_retry 2\n        }\n    }\n}\n"
        )
    );
}

#[test]
fn keepalived_conf_variables_sequences_and_includes() {
    insta::assert_snapshot!(
        "keepalived_variables_sequences_includes",
        keepalived_conf(
            "$PRIO=150\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    priority $PRIORITY\n    virtual_ipaddress {\n        ~SEQ(i, 1, 0, 3) 192.0.2.$i\n    }\n}\ninclude /\n"
        )
    );
}

#[test]
fn ldirectord_cf_mistakes() {
    let text = "checktimeout=soon\nvirtual=192.0.2.50:80\n\treal=192.0.2.21:80 gate\n\treal=192.0.2.22:80 tunnel\n\tschedular=rr\n\tnetmask=255.0.255.0\nvirtual=192.0.2.51:http\n\treal=192.0.2.21\n";
    insta::assert_snapshot!(
        "ldirectord_mistakes",
        rendered(&ldirectord::load_str("ldirectord.cf", text).1)
    );
}

#[test]
fn native_toml_syntax_and_values() {
    let syntax = director::config::parse_str(
        "director.toml",
        "[[virtual_server]]\naddress = \"192.0.2.50\"\nport = 80\nscheduler = rr\n",
    )
    .unwrap_err();
    let values = director::config::parse_str(
        "director.toml",
        "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 0\npriority = 100\nvirtual_ipaddress = [\"192.0.2.50\"]\n",
    )
    .unwrap_err();
    insta::assert_snapshot!(
        "toml_syntax_and_values",
        format!("{}{}", rendered(&syntax), rendered(&values))
    );
}

#[test]
fn lvs_timeouts_mistakes_in_either_syntax() {
    let toml = director::config::parse_str(
        "director.toml",
        "[global]\nlvs_timeouts = { tcp = 0, udp = 1.5 }\n",
    )
    .unwrap_err();
    let conf = keepalived_conf(
        "global_defs {\n    lvs_timeouts tcp 7200 tcpfn 5 udp\n}\nglobal_defs {\n    lvs_timeouts tcpfin 0\n}\n",
    );
    insta::assert_snapshot!(
        "lvs_timeouts_mistakes",
        format!("{}{conf}", rendered(&toml))
    );
}
