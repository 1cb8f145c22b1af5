//! Text from URLs and query strings reaches these parsers unchecked: any input
//! must give a value or a refusal, never a panic, and what we print must parse back.

use proptest::prelude::*;
use yunwei_domain::page::{Cursor, PageRequest};
use yunwei_domain::{improvement, incident, request};

fn number_like() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "INC-",
        "inc-",
        "REQ-",
        "req-",
        "IMP-",
        "imp-",
        "-",
        "+",
        "0",
        "9",
        " ",
        "é",
        "０",
        "99999999999999999999",
    ]);
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn ids_in_paths_never_panic(text in any::<String>(), shaped in number_like()) {
        for t in [&text, &shaped] {
            for id in [incident::parse_number(t), request::parse_number(t), improvement::parse_number(t)].into_iter().flatten() {
                prop_assert!(id >= 0, "{t:?} gave {id}");
            }
        }
    }

    #[test]
    fn human_numbers_parse_back(id in 1i64..1_000_000_000_000) {
        prop_assert_eq!(incident::parse_number(&incident::number(id)), Some(id));
        prop_assert_eq!(request::parse_number(&request::number(id)), Some(id));
        prop_assert_eq!(improvement::parse_number(&improvement::number(id)), Some(id));
    }

    #[test]
    fn paging_parameters_never_panic(limit in proptest::option::of(any::<i64>()), cursor in any::<String>(), descending in any::<bool>()) {
        match PageRequest::parse(limit, Some(&cursor), descending) {
            Ok(page) => {
                prop_assert!((1..=200).contains(&page.limit));
                if let Some(after) = page.after {
                    prop_assert_eq!(Cursor::decode(&after.encode()).ok(), Some(after));
                }
            }
            Err(yunwei_domain::DomainError::Validation(fields)) => prop_assert!(!fields.is_empty()),
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}
