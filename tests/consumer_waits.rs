//! The consumer's waits, on the real broker: a wait long enough to pause the partitions, then
//! resume and seek, neither skips nor repeats a message (before `ingest::inbox`, every pause
//! on tansu's memory store skipped the rest of a producer batch, unnoticed by any total).

mod common;

use std::time::{Duration, Instant};

use ingest::group::{GroupContext, IngestConsumer};
use ingest::inbox::Inbox;
use rdkafka::consumer::Consumer;
use rdkafka::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_waits_pause_and_resume_without_skipping_or_repeating() {
    common::require_services();
    // Bare: no migration, whose topic (4 partitions) would pre-empt this test's own 2.
    let env = common::TestEnv::bare("waits");
    ingest::topic::ensure_topic(
        &ingest::KafkaSettings {
            brokers: common::BROKERS.into(),
            ..Default::default()
        },
        &env.name,
        2,
    )
    .await
    .unwrap();

    // Many messages per producer batch, so a resume lands inside a batch.
    let n: usize = 20_000;
    let producer = ingest::produce::TicketProducer::new(
        &ingest::KafkaSettings {
            brokers: common::BROKERS.into(),
            ..Default::default()
        },
        &env.name,
    )
    .unwrap();
    let mut acks = Vec::with_capacity(n);
    for i in 0..n {
        let key = format!("cinema-{}", i % 16);
        acks.push(
            producer
                .enqueue(key.as_bytes(), i.to_string().as_bytes())
                .await
                .unwrap(),
        );
    }
    for a in acks {
        a.await.expect("delivery").expect("acknowledged");
    }

    let k = ingest::KafkaSettings {
        brokers: common::BROKERS.into(),
        topic: env.name.clone(),
        group_id: env.name.clone(),
        ..Default::default()
    };
    let consumer: IngestConsumer = ingest::run::consumer_config(&k)
        .create_with_context(GroupContext::default())
        .unwrap();
    consumer.subscribe(&[&env.name]).unwrap();

    let hold_max = 300;
    let mut inbox = Inbox::new(hold_max);
    let mut offsets: Vec<Vec<i64>> = vec![Vec::new(); 2];
    let (mut handled, mut waits, mut most_held) = (0usize, 0usize, 0usize);
    let deadline = Instant::now() + Duration::from_secs(180);
    while handled < n {
        assert!(
            Instant::now() < deadline,
            "only {handled} of {n} messages after 3 minutes"
        );
        let seen = consumer
            .context()
            .revocations
            .load(std::sync::atomic::Ordering::SeqCst);
        let m = match inbox.pop(seen) {
            Some(m) => m,
            None => {
                let Ok(m) = tokio::time::timeout(Duration::from_secs(20), consumer.recv()).await
                else {
                    break;
                };
                let m = m.expect("no consumer error");
                let seen = consumer
                    .context()
                    .revocations
                    .load(std::sync::atomic::Ordering::SeqCst);
                if !inbox.delivered(&m, seen) {
                    continue;
                }
                m.detach()
            }
        };
        offsets[usize::try_from(m.partition()).unwrap()].push(m.offset());
        handled += 1;
        if handled % 2_500 == 0 {
            // A long wait (the writer stuck): more than `hold_max` messages arrive meanwhile.
            inbox
                .polling(&consumer, tokio::time::sleep(Duration::from_millis(600)))
                .await;
            most_held = most_held.max(inbox.held());
            waits += 1;
        }
    }

    assert!(
        waits >= 5 && most_held >= hold_max,
        "the waits must have paused the partitions (held at most {most_held})"
    );
    assert_eq!(handled, n, "every message handled once");
    for (p, seen) in offsets.iter().enumerate() {
        let expected: Vec<i64> = (0..i64::try_from(seen.len()).unwrap()).collect();
        assert!(!seen.is_empty(), "partition {p} got messages");
        assert!(
            seen == &expected,
            "partition {p}: offsets skipped or repeated (first difference at index {:?})",
            seen.iter().zip(&expected).position(|(a, b)| a != b)
        );
    }
    assert_eq!(inbox.gaps, 0);
}
