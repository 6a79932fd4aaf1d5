package bus

// Named consumers: the last offset a consumer read per (consumer, topic,
// partition), kept by the SC in a JetStream KV bucket of their own (see
// sc/consumers.go) and served on these admin subjects.
const (
	SubjectAdminConsumerCommit = "fluvio.admin.v1.consumer.commit"
	SubjectAdminConsumerList   = "fluvio.admin.v1.consumer.list"
	SubjectAdminConsumerDelete = "fluvio.admin.v1.consumer.delete"

	ConsumerCommitRequestType  = "fluvio.bus.v1.consumer_commit_request"
	ConsumerCommitResponseType = "fluvio.bus.v1.consumer_commit_response"
	ConsumerListRequestType    = "fluvio.bus.v1.consumer_list_request"
	ConsumerListResponseType   = "fluvio.bus.v1.consumer_list_response"
	ConsumerDeleteRequestType  = "fluvio.bus.v1.consumer_delete_request"
	ConsumerDeleteResponseType = "fluvio.bus.v1.consumer_delete_response"
)

// ConsumerOffset is the last offset a named consumer read in one
// partition: the consumer continues at Offset+1.
type ConsumerOffset struct {
	Consumer  string `msgpack:"consumer" json:"consumer_id"`
	Topic     string `msgpack:"topic" json:"topic"`
	Partition int32  `msgpack:"partition" json:"partition"`
	Offset    int64  `msgpack:"offset" json:"offset"`
	// ModifiedMs is when the SC stored it (ms since the Unix epoch).
	ModifiedMs int64 `msgpack:"modifiedMs" json:"modified_time"`
}

// ConsumerCommitRequest stores offsets (ModifiedMs is set by the SC). The
// topic must exist and the partition be one of its.
type ConsumerCommitRequest struct {
	Type    string           `msgpack:"type" json:"type,omitempty"`
	Offsets []ConsumerOffset `msgpack:"offsets" json:"offsets"`
}

// ConsumerCommitResponse answers ConsumerCommitRequest.
type ConsumerCommitResponse struct {
	Type string `msgpack:"type" json:"type"`
}

// ConsumerListRequest lists stored offsets; Consumer and Topic, when set,
// filter.
type ConsumerListRequest struct {
	Type     string `msgpack:"type" json:"type,omitempty"`
	Consumer string `msgpack:"consumer,omitempty" json:"consumer,omitempty"`
	Topic    string `msgpack:"topic,omitempty" json:"topic,omitempty"`
}

// ConsumerListResponse answers ConsumerListRequest, sorted by consumer,
// topic and partition.
type ConsumerListResponse struct {
	Type  string           `msgpack:"type" json:"type"`
	Items []ConsumerOffset `msgpack:"items" json:"items"`
}

// ConsumerDeleteRequest deletes a consumer's offsets: all of them, those
// of Topic, or of one Partition of Topic. Nothing to delete is
// ErrConsumerNotFound.
type ConsumerDeleteRequest struct {
	Type      string `msgpack:"type" json:"type,omitempty"`
	Consumer  string `msgpack:"consumer" json:"consumer"`
	Topic     string `msgpack:"topic,omitempty" json:"topic,omitempty"`
	Partition *int32 `msgpack:"partition,omitempty" json:"partition,omitempty"`
}

// ConsumerDeleteResponse lists what was deleted.
type ConsumerDeleteResponse struct {
	Type    string           `msgpack:"type" json:"type"`
	Deleted []ConsumerOffset `msgpack:"deleted" json:"deleted"`
}

func (m *ConsumerCommitRequest) typeField() (*string, string) {
	return &m.Type, ConsumerCommitRequestType
}
func (m *ConsumerCommitResponse) typeField() (*string, string) {
	return &m.Type, ConsumerCommitResponseType
}
func (m *ConsumerListRequest) typeField() (*string, string) {
	return &m.Type, ConsumerListRequestType
}
func (m *ConsumerListResponse) typeField() (*string, string) {
	return &m.Type, ConsumerListResponseType
}
func (m *ConsumerDeleteRequest) typeField() (*string, string) {
	return &m.Type, ConsumerDeleteRequestType
}
func (m *ConsumerDeleteResponse) typeField() (*string, string) {
	return &m.Type, ConsumerDeleteResponseType
}

// Adding partitions to a topic.
const (
	SubjectAdminTopicAddPartition = "fluvio.admin.v1.topic.add_partition"

	TopicAddPartitionRequestType  = "fluvio.bus.v1.topic_add_partition_request"
	TopicAddPartitionResponseType = "fluvio.bus.v1.topic_add_partition_response"
)

// TopicAddPartitionRequest adds Count partitions to topic Name, placed as
// topic create places them (same replication factor and rack rule).
type TopicAddPartitionRequest struct {
	Type  string `msgpack:"type" json:"type,omitempty"`
	Name  string `msgpack:"name" json:"name"`
	Count int32  `msgpack:"count" json:"count"`
}

// NewPartition is one added partition and its replicas (leader first).
type NewPartition struct {
	Partition int32   `msgpack:"partition" json:"partition"`
	Replicas  []SPUID `msgpack:"replicas" json:"replicas"`
}

// TopicAddPartitionResponse lists the added partitions.
type TopicAddPartitionResponse struct {
	Type       string         `msgpack:"type" json:"type"`
	Name       string         `msgpack:"name" json:"name"`
	Partitions []NewPartition `msgpack:"partitions" json:"partitions"`
}

func (m *TopicAddPartitionRequest) typeField() (*string, string) {
	return &m.Type, TopicAddPartitionRequestType
}
func (m *TopicAddPartitionResponse) typeField() (*string, string) {
	return &m.Type, TopicAddPartitionResponseType
}
