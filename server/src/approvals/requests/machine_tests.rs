use super::*;
use crate::approvals::model::{Chain, ChainNode, Mode, Skip};
use proptest::prelude::*;

fn node(id: &str, mode: Mode, approvers: &[&str]) -> ChainNode {
    ChainNode {
        node_id: id.into(),
        name: id.into(),
        mode,
        approvers: approvers.iter().map(|s| s.to_string()).collect(),
        skipped: None,
        fallback: false,
    }
}

fn chain(nodes: Vec<ChainNode>) -> Chain {
    Chain {
        nodes,
        cc_on_submit: vec!["cc".into()],
        cc_on_complete: vec![],
    }
}

fn ok(s: &State, who: &str, a: Action) -> (State, Vec<Event>) {
    let out = apply(s, who, &a).unwrap_or_else(|r| panic!("{who} {a:?}: {r:?}"));
    out.0.check().unwrap();
    out
}

fn by_condition(mut n: ChainNode) -> ChainNode {
    n.approvers.clear();
    n.skipped = Some(Skip::Condition);
    n
}

#[test]
fn resubmission_is_routed_again_by_conditions() {
    // Submitted with the finance step's condition false: the lead alone decides.
    let (s, _) = State::start(
        "sub",
        &chain(vec![
            node("lead", Mode::AnyOne, &["x"]),
            by_condition(node("finance", Mode::AnyOne, &["f"])),
            node("hr", Mode::AnyOne, &["h"]),
        ]),
    );
    let (mut r, _) = ok(&s, "x", Action::SendBack(None));
    assert_eq!(r.status, Status::Returned);
    // Edited answers bring finance in and drop hr: finance is resolved now, hr is passed
    // over, the lead keeps its frozen approver, and hr's approver keeps reading.
    let fresh = chain(vec![
        node("lead", Mode::AnyOne, &["other"]),
        node("finance", Mode::AnyOne, &["f"]),
        by_condition(node("hr", Mode::AnyOne, &["h"])),
    ]);
    assert_eq!(r.reroute(&fresh), ["finance"]);
    r.check().unwrap();
    let (r, _) = ok(&r, "sub", Action::Resubmit);
    assert_eq!(r.current_approvers(), ["x"]);
    assert_eq!(r.nodes[2].status, NodeStatus::Skipped);
    assert!(r.is_participant("h"));
    let (r, _) = ok(&r, "x", Action::Approve);
    assert_eq!(r.current_approvers(), ["f"]);
    let (r, _) = ok(&r, "f", Action::Approve);
    assert_eq!(r.status, Status::Approved);
    // Routing again on the same decisions changes nothing.
    let (mut same, _) = State::start("sub", &fresh);
    let before = same.clone();
    assert!(same.reroute(&fresh).is_empty());
    assert_eq!(same, before);
}

#[test]
fn any_one_then_all_then_sequence() {
    let (s, ev) = State::start(
        "sub",
        &chain(vec![
            node("a", Mode::AnyOne, &["x", "y"]),
            node("b", Mode::All, &["p", "q"]),
            node("c", Mode::Sequence, &["m", "n"]),
        ]),
    );
    s.check().unwrap();
    assert_eq!(ev, vec![Event::NodeStarted { node: 0 }]);
    assert_eq!(s.current_approvers(), ["x", "y"]);
    // y decides for the any-one node; x is too late.
    let (s, _) = ok(&s, "y", Action::Approve);
    assert_eq!(apply(&s, "x", &Action::Approve), Err(Refusal::Stale));
    assert_eq!(s.current_approvers(), ["p", "q"]);
    let (s, _) = ok(&s, "q", Action::Approve);
    assert_eq!(apply(&s, "q", &Action::Approve), Err(Refusal::Stale));
    assert_eq!(s.current_approvers(), ["p"]);
    let (s, ev) = ok(&s, "p", Action::Approve);
    assert!(ev.contains(&Event::NodeStarted { node: 2 }));
    // In sequence: n waits for m.
    assert_eq!(s.current_approvers(), ["m"]);
    assert_eq!(apply(&s, "n", &Action::Approve), Err(Refusal::Stale));
    let (s, _) = ok(&s, "m", Action::Approve);
    let (s, ev) = ok(&s, "n", Action::Approve);
    assert_eq!(s.status, Status::Approved);
    assert_eq!(
        ev.last(),
        Some(&Event::Finished {
            status: Status::Approved
        })
    );
    assert_eq!(apply(&s, "sub", &Action::Comment), Err(Refusal::Finished));
}

#[test]
fn reject_withdraw_comment_and_outsiders() {
    let (s, _) = State::start("sub", &chain(vec![node("a", Mode::All, &["x", "y"])]));
    assert_eq!(apply(&s, "z", &Action::Approve), Err(Refusal::NotAllowed));
    assert_eq!(apply(&s, "sub", &Action::Approve), Err(Refusal::NotAllowed));
    assert_eq!(apply(&s, "x", &Action::Withdraw), Err(Refusal::NotAllowed));
    assert_eq!(apply(&s, "z", &Action::Comment), Err(Refusal::NotAllowed));
    ok(&s, "cc", Action::Comment);
    ok(&s, "x", Action::Comment);
    let (r, _) = ok(&s, "y", Action::Reject);
    assert_eq!(r.status, Status::Rejected);
    assert_eq!(apply(&r, "x", &Action::Approve), Err(Refusal::Finished));
    assert_eq!(apply(&r, "sub", &Action::Withdraw), Err(Refusal::Finished));
    let (w, _) = ok(&s, "sub", Action::Withdraw);
    assert_eq!(w.status, Status::Withdrawn);
    assert_eq!(apply(&w, "x", &Action::Approve), Err(Refusal::Finished));
}

#[test]
fn transfer_and_urge() {
    let (s, _) = State::start("sub", &chain(vec![node("a", Mode::Sequence, &["x", "y"])]));
    assert_eq!(
        apply(&s, "x", &Action::Transfer("sub".into())),
        Err(Refusal::BadTarget)
    );
    assert_eq!(
        apply(&s, "x", &Action::Transfer("y".into())),
        Err(Refusal::BadTarget)
    );
    assert_eq!(
        apply(&s, "y", &Action::Transfer("z".into())),
        Err(Refusal::Stale)
    );
    let (t, _) = ok(&s, "x", Action::Transfer("z".into()));
    assert_eq!(t.current_approvers(), ["z"]);
    assert_eq!(t.nodes[0].approvers, ["z", "y"]);
    assert!(t.is_participant("x"));
    assert_eq!(apply(&t, "x", &Action::Approve), Err(Refusal::NotAllowed));
    assert_eq!(apply(&t, "x", &Action::Urge), Err(Refusal::NotAllowed));
    let (u, ev) = ok(&t, "sub", Action::Urge);
    assert_eq!(u, t);
    assert_eq!(
        ev,
        vec![Event::Urged {
            actor: "sub".into()
        }]
    );
}

#[test]
fn skipped_nodes_are_passed_over() {
    let mut skipped = node("a", Mode::AnyOne, &[]);
    skipped.skipped = Some(Skip::Condition);
    let (s, _) = State::start(
        "sub",
        &chain(vec![
            skipped.clone(),
            node("b", Mode::AnyOne, &["x"]),
            node("c", Mode::All, &[]),
        ]),
    );
    s.check().unwrap();
    assert_eq!(s.current, Some(1));
    let (s, _) = ok(&s, "x", Action::Approve);
    assert_eq!(s.status, Status::Approved);
    assert_eq!(s.nodes[2].skipped, Some(Skip::NoApprover));
    // Nothing to approve at all: approved on submit.
    let (s, ev) = State::start("sub", &chain(vec![skipped]));
    s.check().unwrap();
    assert_eq!(s.status, Status::Approved);
    assert_eq!(
        ev,
        vec![Event::Finished {
            status: Status::Approved
        }]
    );
}

#[test]
fn add_signer_before_and_after() {
    let (s, _) = State::start(
        "sub",
        &chain(vec![
            node("a", Mode::AnyOne, &["x", "y"]),
            node("b", Mode::AnyOne, &["p"]),
        ]),
    );
    assert_eq!(
        apply(
            &s,
            "x",
            &Action::AddSigner {
                to: "sub".into(),
                before: true
            }
        ),
        Err(Refusal::BadTarget)
    );
    assert_eq!(
        apply(
            &s,
            "x",
            &Action::AddSigner {
                to: "y".into(),
                before: true
            }
        ),
        Err(Refusal::BadTarget)
    );
    assert_eq!(
        apply(
            &s,
            "p",
            &Action::AddSigner {
                to: "z".into(),
                before: true
            }
        ),
        Err(Refusal::Stale)
    );
    // Before: z decides first, then the node comes back to x (and y).
    let (b, ev) = ok(
        &s,
        "x",
        Action::AddSigner {
            to: "z".into(),
            before: true,
        },
    );
    assert!(ev.contains(&Event::NodeStarted { node: 0 }));
    assert_eq!(b.current_approvers(), ["z"]);
    assert_eq!(b.nodes[0].added_by.as_deref(), Some("x"));
    assert_eq!(apply(&b, "x", &Action::Approve), Err(Refusal::Stale));
    let (b, _) = ok(&b, "z", Action::Approve);
    assert_eq!(b.current_approvers(), ["x", "y"]);
    // After: a new node right after x's.
    let (a, _) = ok(
        &b,
        "x",
        Action::AddSigner {
            to: "w".into(),
            before: false,
        },
    );
    assert_eq!(a.current_approvers(), ["x", "y"]);
    let (a, _) = ok(&a, "x", Action::Approve);
    assert_eq!(a.current_approvers(), ["w"]);
    let (a, _) = ok(&a, "w", Action::Approve);
    let (a, _) = ok(&a, "p", Action::Approve);
    assert_eq!(a.status, Status::Approved);
    assert_eq!(a.nodes.len(), 4);
}

#[test]
fn send_back_and_resubmit() {
    let (s, _) = State::start(
        "sub",
        &chain(vec![
            node("a", Mode::AnyOne, &["x"]),
            node("b", Mode::All, &["p", "q"]),
        ]),
    );
    assert_eq!(
        apply(&s, "x", &Action::SendBack(Some("a".into()))),
        Err(Refusal::BadNode)
    );
    let (s, _) = ok(&s, "x", Action::Approve);
    let (s, _) = ok(&s, "p", Action::Approve);
    assert_eq!(
        apply(&s, "q", &Action::SendBack(Some("b".into()))),
        Err(Refusal::BadNode)
    );
    // Back to node a: it restarts, and b's approvals are gone.
    let (r, ev) = ok(&s, "q", Action::SendBack(Some("a".into())));
    assert!(ev.contains(&Event::NodeStarted { node: 0 }));
    assert_eq!(r.current_approvers(), ["x"]);
    assert!(r.nodes[1].approved_by.is_empty());
    let (r, _) = ok(&r, "x", Action::Approve);
    assert_eq!(r.current_approvers(), ["p", "q"]);
    // Back to the submitter: returned, nobody decides, only the submitter resubmits.
    let (r, _) = ok(&r, "p", Action::SendBack(None));
    assert_eq!(r.status, Status::Returned);
    assert!(r.current_approvers().is_empty());
    assert_eq!(apply(&r, "p", &Action::Approve), Err(Refusal::Stale));
    assert_eq!(apply(&r, "x", &Action::Resubmit), Err(Refusal::NotAllowed));
    assert_eq!(apply(&r, "sub", &Action::Urge), Err(Refusal::Stale));
    ok(&r, "x", Action::Comment);
    let (again, _) = ok(&r, "sub", Action::Resubmit);
    assert_eq!(again.current_approvers(), ["x"]);
    assert_eq!(apply(&again, "sub", &Action::Resubmit), Err(Refusal::Stale));
    let (w, _) = ok(&r, "sub", Action::Withdraw);
    assert_eq!(w.status, Status::Withdrawn);
}

#[test]
fn replace_a_departed_approver() {
    let (s, _) = State::start(
        "sub",
        &chain(vec![
            node("a", Mode::All, &["x", "gone"]),
            node("b", Mode::Sequence, &["gone", "p"]),
        ]),
    );
    let (s, _) = ok(&s, "x", Action::Approve);
    // Replaced by x (already on node a, who approved): node a is complete, b gets x first.
    let (r, ev) = replace(&s, "gone", &["x".into()]).unwrap();
    r.check().unwrap();
    assert!(ev.contains(&Event::NodeApproved { node: 0 }));
    assert_eq!(r.nodes[1].approvers, ["x", "p"]);
    assert_eq!(r.current_approvers(), ["x"]);
    assert!(r.is_participant("gone"));
    // Nobody to take the place of a node's only approver: kept.
    let (t, _) = State::start("sub", &chain(vec![node("a", Mode::AnyOne, &["gone"])]));
    let (same, ev) = replace(&t, "gone", &["sub".into()]).unwrap();
    assert!(ev.is_empty());
    assert_eq!(same, t);
    let (m, _) = replace(&t, "gone", &["boss".into()]).unwrap();
    assert_eq!(m.current_approvers(), ["boss"]);
}

/// Found by `random_actions_keep_the_rules`: a node whose other approvers had approved waits
/// behind a signer its last approver added before it; that approver leaves and nobody takes
/// their place. The node is complete while it waits, and is approved when it is reached
/// instead of standing active with nobody left to decide.
#[test]
fn a_waiting_node_left_complete_is_approved_when_reached() {
    let (s, _) = State::start(
        "sub",
        &chain(vec![
            node("n0", Mode::All, &["a", "c"]),
            node("n1", Mode::AnyOne, &["d"]),
        ]),
    );
    let (s, _) = ok(&s, "c", Action::Approve);
    let (s, _) = ok(
        &s,
        "a",
        Action::AddSigner {
            to: "b".into(),
            before: true,
        },
    );
    let (r, ev) = replace(&s, "a", &[]).unwrap();
    r.check().unwrap();
    assert!(!ev.contains(&Event::NodeApproved { node: 1 }));
    assert_eq!(r.nodes[1].status, NodeStatus::Waiting);
    assert_eq!(r.current_approvers(), ["b"]);
    let (done, ev) = ok(&r, "b", Action::Approve);
    assert!(ev.contains(&Event::NodeApproved { node: 1 }));
    assert_eq!(done.nodes[1].status, NodeStatus::Approved);
    assert_eq!(done.current_approvers(), ["d"]);
    // The last node complete while it waits: approving the signer finishes the request.
    let (s, _) = State::start("sub", &chain(vec![node("n0", Mode::All, &["a", "c"])]));
    let (s, _) = ok(&s, "c", Action::Approve);
    let add = Action::AddSigner {
        to: "b".into(),
        before: true,
    };
    let (s, _) = ok(&s, "a", add);
    let (r, _) = replace(&s, "a", &[]).unwrap();
    r.check().unwrap();
    let (done, ev) = ok(&r, "b", Action::Approve);
    assert_eq!(done.status, Status::Approved);
    assert!(ev.contains(&Event::Finished {
        status: Status::Approved
    }));
}

const PEOPLE: &[&str] = &["sub", "a", "b", "c", "d", "cc", "out"];

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::AnyOne), Just(Mode::All), Just(Mode::Sequence)]
}

/// A random chain: 1–4 nodes, each skipped or with 0–4 approvers drawn from the people (the
/// submitter and outsiders included: the machine must not care who they are).
fn chains() -> impl Strategy<Value = Chain> {
    let n = (
        mode(),
        proptest::collection::vec(0usize..PEOPLE.len(), 0..5),
        proptest::bool::weighted(0.15),
    );
    proptest::collection::vec(n, 1..5).prop_map(|nodes| Chain {
        nodes: nodes
            .into_iter()
            .enumerate()
            .map(|(i, (m, who, skip))| {
                let mut n = node(
                    &format!("n{i}"),
                    m,
                    &who.iter().map(|&w| PEOPLE[w]).collect::<Vec<_>>(),
                );
                if skip {
                    n.skipped = Some(Skip::Condition);
                    n.approvers.clear();
                }
                n
            })
            .collect(),
        cc_on_submit: vec!["cc".into()],
        cc_on_complete: vec![],
    })
}

fn actions() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => Just(Action::Approve),
        1 => Just(Action::Reject),
        1 => Just(Action::Withdraw),
        1 => Just(Action::Comment),
        1 => Just(Action::Urge),
        1 => (0usize..PEOPLE.len()).prop_map(|i| Action::Transfer(PEOPLE[i].to_string())),
        1 => (0usize..PEOPLE.len(), any::<bool>())
            .prop_map(|(i, before)| Action::AddSigner { to: PEOPLE[i].to_string(), before }),
        1 => proptest::option::of(0usize..5).prop_map(|i| Action::SendBack(i.map(|i| format!("n{i}")))),
        1 => Just(Action::Resubmit),
    ]
}

/// A step: someone acts, or Stoa replaces a person who left by others.
#[derive(Debug, Clone)]
enum Step {
    Act(usize, Action),
    Replace(usize, Vec<usize>),
}

fn steps() -> impl Strategy<Value = Step> {
    prop_oneof![
        9 => (0usize..PEOPLE.len(), actions()).prop_map(|(w, a)| Step::Act(w, a)),
        1 => (0usize..PEOPLE.len(), proptest::collection::vec(0usize..PEOPLE.len(), 0..3))
            .prop_map(|(g, w)| Step::Replace(g, w)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random actions by random people: every state is valid, a refusal changes nothing, only
    /// a current approver decides, only the submitter withdraws, a finished request takes no
    /// action; and driving what is left to completion always finishes.
    #[test]
    fn random_actions_keep_the_rules(
        c in chains(),
        steps in proptest::collection::vec(steps(), 0..40),
        reject_at in proptest::option::of(0usize..10),
    ) {
        let (mut s, _) = State::start("sub", &c);
        prop_assert_eq!(s.check(), Ok(()));
        for step in steps {
            let (who, action) = match step {
                Step::Act(who, action) => (who, action),
                Step::Replace(gone, with) => {
                    let gone = PEOPLE[gone];
                    let with: Vec<String> = with.iter().map(|&w| PEOPLE[w].to_string()).collect();
                    match replace(&s, gone, &with) {
                        Ok((next, events)) => {
                            prop_assert_eq!(next.check(), Ok(()));
                            if events.is_empty() {
                                prop_assert_eq!(&next, &s);
                            }
                            if with.iter().any(|w| w != "sub" && w != gone) {
                                prop_assert!(!next.current_approvers().contains(&gone));
                            }
                            for e in &events {
                                if let Event::Replaced { to, .. } = e {
                                    prop_assert!(to.iter().all(|t| with.contains(t) && t != "sub"));
                                }
                            }
                            s = next;
                        }
                        Err(r) => {
                            prop_assert!(s.status.finished());
                            prop_assert_eq!(r, Refusal::Finished);
                        }
                    }
                    continue;
                }
            };
            let who = PEOPLE[who];
            let could_decide = s.current_approvers().contains(&who);
            let was = s.status;
            match apply(&s, who, &action) {
                Ok((next, events)) => {
                    prop_assert_eq!(next.check(), Ok(()));
                    prop_assert!(matches!(was, Status::Pending | Status::Returned));
                    match action {
                        Action::Approve | Action::Reject => prop_assert!(could_decide),
                        Action::Transfer(ref to) => {
                            prop_assert!(could_decide);
                            prop_assert!(to != "sub" && to != who);
                            prop_assert!(!next.current_approvers().contains(&who));
                            prop_assert!(next.is_participant(who));
                        }
                        Action::Urge => {
                            prop_assert_eq!(who, "sub");
                            prop_assert_eq!(&next, &s);
                        }
                        Action::Withdraw => {
                            prop_assert_eq!(who, "sub");
                            prop_assert_eq!(next.status, Status::Withdrawn);
                        }
                        Action::Comment => {
                            prop_assert!(s.is_participant(who));
                            prop_assert_eq!(&next, &s);
                        }
                        Action::AddSigner { ref to, before } => {
                            prop_assert!(could_decide);
                            prop_assert!(to != "sub" && to != who);
                            prop_assert_eq!(next.nodes.len(), s.nodes.len() + 1);
                            if before {
                                prop_assert_eq!(next.current_approvers(), vec![to.as_str()]);
                            } else {
                                prop_assert_eq!(next.current_approvers(), s.current_approvers());
                            }
                        }
                        Action::SendBack(ref to) => {
                            prop_assert!(could_decide);
                            if to.is_none() {
                                prop_assert_eq!(next.status, Status::Returned);
                                prop_assert!(next.current_approvers().is_empty());
                            } else {
                                prop_assert_eq!(next.status, Status::Pending);
                                prop_assert!(next.current < s.current);
                            }
                        }
                        Action::Resubmit => {
                            prop_assert_eq!(who, "sub");
                            prop_assert_eq!(was, Status::Returned);
                            prop_assert_eq!(next.status, Status::Pending);
                        }
                    }
                    if action == Action::Reject {
                        prop_assert_eq!(next.status, Status::Rejected);
                    }
                    prop_assert!(!events.is_empty());
                    s = next;
                }
                Err(r) => {
                    if was.finished() {
                        prop_assert_eq!(r, Refusal::Finished);
                    }
                    if matches!(action, Action::Approve | Action::Reject) {
                        prop_assert!(!could_decide || was.finished());
                    }
                    if matches!(action, Action::Transfer(_)) && could_decide {
                        prop_assert_eq!(r, Refusal::BadTarget);
                    }
                    if matches!(action, Action::AddSigner { .. } | Action::SendBack(_)) {
                        prop_assert!(!could_decide || matches!(r, Refusal::BadTarget | Refusal::BadNode | Refusal::TooMany));
                    }
                }
            }
        }
        // Drive to completion: a current approver approves (or, once, rejects) until done; a
        // returned request is resubmitted by its submitter.
        let mut n = 0;
        while !s.status.finished() {
            let (who, a) = if s.status == Status::Returned {
                ("sub".to_string(), Action::Resubmit)
            } else {
                let who = s.current_approvers()[0].to_string();
                (who, if reject_at == Some(n) { Action::Reject } else { Action::Approve })
            };
            s = apply(&s, &who, &a).map_err(|r| TestCaseError::fail(format!("{r:?}")))?.0;
            prop_assert_eq!(s.check(), Ok(()));
            n += 1;
            prop_assert!(n <= 2 * MAX_NODES * PEOPLE.len(), "no progress");
        }
        prop_assert!(matches!(s.status, Status::Approved | Status::Rejected | Status::Withdrawn));
        if s.status == Status::Approved {
            prop_assert!(s.nodes.iter().all(|n| matches!(n.status, NodeStatus::Approved | NodeStatus::Skipped)));
        }
    }

    /// The state survives its JSON form (it is stored as JSON).
    #[test]
    fn state_round_trips(c in chains()) {
        let (s, _) = State::start("sub", &c);
        let back: State = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        prop_assert_eq!(back, s);
    }
}
