use super::*;
use proptest::prelude::*;

/// SQL's answer for `value <test>`, computed on the row's value directly (the reference the
/// blob evaluation must equal).
fn reference(t: &Test, v: &Value) -> bool {
    let cmp = |c: Cmp, o: std::cmp::Ordering| match c {
        Cmp::Lt => o.is_lt(),
        Cmp::Le => o.is_le(),
        Cmp::Eq => o.is_eq(),
        Cmp::Ge => o.is_ge(),
        Cmp::Gt => o.is_gt(),
    };
    match (t, v) {
        (Test::Never, _) | (_, Value::Null) => false,
        (Test::Int(c, k), Value::Int(x)) => cmp(*c, x.cmp(k)),
        (Test::IntIn(s), Value::Int(x)) => s.contains(x),
        (Test::Bool(k), Value::Bool(x)) => k == x,
        (Test::BoolIn(s), Value::Bool(x)) => s.contains(x),
        (Test::TextEq(k), Value::Text(x)) => k == x,
        (Test::TextIn(s), Value::Text(x)) => s.contains(x),
        (Test::IntOverlap(q), Value::IntArray(a)) => a.iter().flatten().any(|e| q.contains(e)),
        (Test::IntContains(q), Value::IntArray(a)) => q.iter().all(|e| a.contains(&Some(*e))),
        (Test::IntContainedBy(q), Value::IntArray(a)) => a.iter().all(|e| e.is_some_and(|e| q.contains(&e))),
        (Test::TextOverlap(q), Value::TextArray(a)) => a.iter().flatten().any(|e| q.contains(e)),
        (Test::TextContains(q), Value::TextArray(a)) => q.iter().all(|e| a.contains(&Some(e.clone()))),
        (Test::TextContainedBy(q), Value::TextArray(a)) => a.iter().all(|e| e.as_ref().is_some_and(|e| q.contains(e))),
        _ => false,
    }
}

fn small_int() -> impl Strategy<Value = i64> {
    prop_oneof![-5i64..5, Just(i64::MIN), Just(i64::MAX)]
}

fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(b"".to_vec()), Just(b"a".to_vec()), Just(b"ab".to_vec()), Just("é".as_bytes().to_vec()), Just(b"b".to_vec())]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        small_int().prop_map(Value::Int),
        word().prop_map(Value::Text),
        prop::collection::vec(prop::option::weighted(0.9, small_int()), 0..6).prop_map(Value::IntArray),
        prop::collection::vec(prop::option::weighted(0.9, word()), 0..6).prop_map(Value::TextArray),
    ]
}

fn cmp() -> impl Strategy<Value = Cmp> {
    prop_oneof![Just(Cmp::Lt), Just(Cmp::Le), Just(Cmp::Eq), Just(Cmp::Ge), Just(Cmp::Gt)]
}

fn test() -> impl Strategy<Value = Test> {
    let ints = || prop::collection::vec(small_int(), 0..5);
    let words = || prop::collection::vec(word(), 0..5);
    prop_oneof![
        (cmp(), small_int()).prop_map(|(c, k)| Test::Int(c, k)),
        ints().prop_map(Test::IntIn),
        any::<bool>().prop_map(Test::Bool),
        prop::collection::vec(any::<bool>(), 0..3).prop_map(Test::BoolIn),
        word().prop_map(Test::TextEq),
        words().prop_map(Test::TextIn),
        ints().prop_map(Test::IntOverlap),
        ints().prop_map(Test::IntContains),
        ints().prop_map(Test::IntContainedBy),
        words().prop_map(Test::TextOverlap),
        words().prop_map(Test::TextContains),
        words().prop_map(Test::TextContainedBy),
        Just(Test::Never),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn blob_tests_equal_sql_semantics(values in prop::collection::vec(value(), 1..4), tests in prop::collection::vec((0usize..4, test()), 0..3)) {
        let blob = encode(&values);
        let mut p = Predicate::new();
        let mut expected = true;
        for (col, t) in &tests {
            let col = col % values.len();
            expected &= reference(t, &values[col]);
            p.push(col, t.clone());
        }
        prop_assert_eq!(p.matches(&blob), expected, "values {:?} tests {:?}", values, tests);
    }

    #[test]
    fn damaged_blobs_read_as_nulls(bytes in prop::collection::vec(any::<u8>(), 0..64), col in 0usize..5) {
        // never panics, never reads out of bounds; whatever it reads is a value or NULL
        let _ = decode(&bytes, col);
        let mut p = Predicate::new();
        p.push(col, Test::TextContains(vec![b"a".to_vec()]));
        p.push(0, Test::Int(Cmp::Ge, 0));
        let _ = p.matches(&bytes);
        let mut short = encode(&[Value::Text(b"hello".to_vec())]);
        short.truncate(bytes.len() % 10);
        prop_assert!(!Test::TextEq(b"hello".to_vec()).holds(decode(&short, 0)) || short.len() == 10);
    }
}

#[test]
fn columns_decode_in_order() {
    let values = vec![
        Value::Int(-7),
        Value::Null,
        Value::Text(b"tenant".to_vec()),
        Value::IntArray(vec![Some(3), None, Some(1), Some(3)]),
        Value::Bool(true),
        Value::TextArray(vec![Some(b"b".to_vec()), Some(b"a".to_vec())]),
    ];
    let blob = encode(&values);
    assert_eq!(decode(&blob, 0), Attr::Int(-7));
    assert_eq!(decode(&blob, 1), Attr::Null);
    assert_eq!(decode(&blob, 2), Attr::Text(b"tenant"));
    match decode(&blob, 3) {
        Attr::IntArray { elems, nulls } => {
            assert!(nulls);
            assert_eq!(Attr::ints(elems).collect::<Vec<_>>(), vec![1, 3]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(decode(&blob, 4), Attr::Bool(true));
    match decode(&blob, 5) {
        Attr::TextArray { elems, count, nulls } => {
            assert!(!nulls);
            assert_eq!(Attr::texts(elems, count).collect::<Vec<_>>(), vec![b"a".as_slice(), b"b"]);
        }
        other => panic!("{other:?}"),
    }
    // past the last column, and an empty blob: NULL
    assert_eq!(decode(&blob, 6), Attr::Null);
    assert_eq!(decode(&[], 0), Attr::Null);
}

#[test]
fn predicate_edge_cases() {
    let blob = encode(&[Value::IntArray(vec![]), Value::Int(5)]);
    let mut p = Predicate::new();
    // an empty array is contained by anything and contains only the empty set
    p.push(0, Test::IntContainedBy(vec![]));
    p.push(0, Test::IntContains(vec![]));
    assert!(p.matches(&blob));
    p.push(0, Test::IntOverlap(vec![1]));
    assert!(!p.matches(&blob));
    let mut never = Predicate::new();
    never.push(1, Test::Never);
    assert!(never.is_never() && !never.matches(&blob));
    assert!(Predicate::new().matches(&blob) && Predicate::new().is_empty());
}
