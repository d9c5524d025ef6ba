//! The camera's events to an MQTT broker (`send --mqtt`): `detect::publish`
//! says what to publish, and two tasks send it with rumqttc: one polls
//! rumqttc's event loop and nothing else (so no read is ever cut short),
//! the other turns results into messages and says on each connection what
//! a new subscriber must know. The camera never
//! waits on the broker: results reach the task through a small queue that
//! drops when full, messages wait in rumqttc's bounded queue while the
//! broker is away (the newest are dropped, and counted, beyond it), and
//! the connection is tried again every 2 s for as long as the camera runs.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectionError, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::MqttSettings;
use crate::detect::publish::{Publication, Publisher};
use crate::model::Detections;

/// Results waiting for the task.
const RESULTS: usize = 16;
/// Messages waiting for the broker.
const MESSAGES: usize = 64;
/// Between connection attempts.
const RETRY: Duration = Duration::from_secs(2);
/// How long a camera stopping waits to say `offline`.
const FAREWELL: Duration = Duration::from_secs(1);

/// The publishing task, as the sender's loop holds it.
#[derive(Debug)]
pub(crate) struct Mqtt {
    results: mpsc::Sender<Arc<Detections>>,
    task: JoinHandle<()>,
}

impl Mqtt {
    /// Starts publishing `detector`'s results to the broker.
    pub(crate) fn start(settings: &MqttSettings, detector: &'static str) -> Self {
        let publisher = Publisher::new(&settings.camera, detector);
        let client_id = format!("camview-{}-{:x}", publisher.camera(), std::process::id());
        let mut options = MqttOptions::new(client_id, settings.host.clone(), settings.port);
        options.set_keep_alive(Duration::from_secs(15));
        let will = publisher.offline();
        options.set_last_will(LastWill::new(
            will.topic,
            will.payload,
            QoS::AtLeastOnce,
            will.retain,
        ));
        let (client, events) = AsyncClient::new(options, MESSAGES);
        let (results_tx, results) = mpsc::channel(RESULTS);
        let (link_tx, link) = mpsc::channel(4);
        let broker = format!("{}:{}", settings.host, settings.port);
        tracing::info!(
            "publishing {detector} events to the MQTT broker {broker} under {}/",
            publisher.base()
        );
        let driver = tokio::spawn(drive(events, link_tx));
        let task = tokio::spawn(publish(publisher, client, results, link, driver, broker));
        Self {
            results: results_tx,
            task,
        }
    }

    /// Hands the task a result; a busy task goes without it.
    pub(crate) fn offer(&self, found: &Arc<Detections>) {
        let _ = self.results.try_send(Arc::clone(found));
    }

    /// Says `offline` (waiting a moment for the broker), and stops.
    pub(crate) async fn close(self) {
        drop(self.results);
        let mut task = self.task;
        if tokio::time::timeout(FAREWELL * 2, &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// A change of the connection to the broker.
#[derive(Debug)]
enum LinkChange {
    Up,
    Down(ConnectionError),
}

/// rumqttc's event loop, polled in a task of its own (polled again after
/// an error, it connects again), reporting each change of the connection.
/// Ends after the clean disconnect, or when nobody listens.
async fn drive(mut events: EventLoop, link: mpsc::Sender<LinkChange>) {
    loop {
        let change = match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => LinkChange::Up,
            Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
            Ok(_) => continue,
            Err(e) => LinkChange::Down(e),
        };
        let down = matches!(change, LinkChange::Down(_));
        if link.send(change).await.is_err() {
            return;
        }
        if down {
            tokio::time::sleep(RETRY).await;
        }
    }
}

/// Turns results into messages for rumqttc's queue, and says on every
/// connection what a new subscriber must know.
async fn publish(
    mut publisher: Publisher,
    client: AsyncClient,
    mut results: mpsc::Receiver<Arc<Detections>>,
    mut changes: mpsc::Receiver<LinkChange>,
    mut driver: JoinHandle<()>,
    broker: String,
) {
    let mut link = Link::default();
    loop {
        tokio::select! {
            change = changes.recv() => match change {
                Some(LinkChange::Up) => {
                    link.connected(&broker);
                    for p in publisher.on_connect() {
                        link.publish(&client, p);
                    }
                }
                Some(LinkChange::Down(e)) => link.lost(&broker, &e),
                None => break,
            },
            found = results.recv() => match found {
                Some(found) => {
                    for p in publisher.handle(&found) {
                        link.publish(&client, p);
                    }
                }
                None => break,
            },
        }
    }
    // The camera is stopping: `offline`, then a clean disconnect, if the
    // broker is there to hear it.
    if link.up {
        link.publish(&client, publisher.offline());
        let _ = client.try_disconnect();
        if tokio::time::timeout(FAREWELL, &mut driver).await.is_ok() {
            return;
        }
    }
    driver.abort();
}

/// The connection's state, for the log: each change said once.
#[derive(Debug, Default)]
struct Link {
    up: bool,
    /// Whether a failure was already reported since the last connection.
    reported: bool,
    /// Messages dropped because rumqttc's queue was full.
    dropped: u64,
}

impl Link {
    fn connected(&mut self, broker: &str) {
        if self.reported || self.dropped > 0 {
            tracing::info!(
                dropped = self.dropped,
                "MQTT: connected to {broker} again ({} messages dropped while it was away)",
                self.dropped
            );
        }
        *self = Self {
            up: true,
            ..Self::default()
        };
    }

    fn lost(&mut self, broker: &str, e: &ConnectionError) {
        if !self.reported {
            tracing::warn!(
                "MQTT: the broker {broker} is unreachable ({e}); events wait (up to {MESSAGES}) \
                 and the camera goes on; trying again every {} s",
                RETRY.as_secs()
            );
            self.reported = true;
        }
        self.up = false;
    }

    fn publish(&mut self, client: &AsyncClient, p: Publication) {
        if client
            .try_publish(p.topic, QoS::AtMostOnce, p.retain, p.payload)
            .is_err()
        {
            self.dropped += 1;
        }
    }
}
