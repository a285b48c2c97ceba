//! What an operator may tune in the SQS service: the region and AWS's documented quotas, which
//! default to AWS's values and may be lowered (tests) or raised. It owns the defaults; it must
//! never read the environment or files (the server maps its flags onto these fields).

/// The service's settings. `SqsConfig::new(region)` gives AWS's quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsConfig {
    /// The region queue ARNs name.
    pub region: String,
    /// In-flight messages per queue (received, neither deleted nor visible again) at which
    /// ReceiveMessage stops handing out messages. AWS documents about 120,000 for standard and
    /// FIFO queues: a short poll on a standard queue then fails with `OverLimit`, a long poll or
    /// a FIFO queue answers with no messages. Counted per node, see `inflight`. 0 lets no
    /// message be received.
    pub max_inflight: u64,
    /// FIFO request quotas; `None` turns FIFO throttling off.
    pub fifo_quotas: Option<FifoQuotas>,
}

/// AWS's FIFO request quotas, in API calls per second (a batch call counts once). Enforced per
/// node, see `throttle`. A quota of 0 refuses every such call; to turn throttling off, set
/// [`SqsConfig::fifo_quotas`] to `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FifoQuotas {
    /// Per queue and per API action (send, receive, delete) without high throughput. AWS: 300.
    pub per_queue: u32,
    /// Per queue and per API action in high-throughput mode (`DeduplicationScope=messageGroup`
    /// and `FifoThroughputLimit=perMessageGroupId`). AWS: 70,000 in its largest regions
    /// (us-east-1, us-west-2, eu-west-1), less elsewhere.
    pub high_throughput_per_queue: u32,
    /// Per message group for sends in high-throughput mode. AWS: 300.
    pub per_message_group: u32,
}

/// AWS's in-flight quota per queue.
pub const AWS_MAX_INFLIGHT: u64 = 120_000;

impl FifoQuotas {
    /// The quotas AWS documents for its largest regions.
    pub const AWS: FifoQuotas = FifoQuotas {
        per_queue: 300,
        high_throughput_per_queue: 70_000,
        per_message_group: 300,
    };
}

impl SqsConfig {
    /// AWS's quotas in `region`.
    pub fn new(region: &str) -> Self {
        SqsConfig {
            region: region.to_owned(),
            max_inflight: AWS_MAX_INFLIGHT,
            fifo_quotas: Some(FifoQuotas::AWS),
        }
    }
}
