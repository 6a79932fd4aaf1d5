package bus

import "fmt"

// Named consumers: the last offset a consumer read per (consumer, topic,
// partition) lives in the consumer-offset system topic (ConsumerOffsetTopic),
// served by the SPUs (wire OffsetCommit, OffsetFetch, OffsetDelete). On
// these admin subjects the SC makes sure that topic exists
// (consumer.storage) and serves the KV bucket earlier versions kept
// offsets in (consumer.list, consumer.delete; sc/consumers.go).
const (
	SubjectAdminConsumerStorage = "fluvio.admin.v1.consumer.storage"
	SubjectAdminConsumerList    = "fluvio.admin.v1.consumer.list"
	SubjectAdminConsumerDelete  = "fluvio.admin.v1.consumer.delete"

	ConsumerStorageRequestType  = "fluvio.bus.v1.consumer_storage_request"
	ConsumerStorageResponseType = "fluvio.bus.v1.consumer_storage_response"
	ConsumerListRequestType     = "fluvio.bus.v1.consumer_list_request"
	ConsumerListResponseType    = "fluvio.bus.v1.consumer_list_response"
	ConsumerDeleteRequestType   = "fluvio.bus.v1.consumer_delete_request"
	ConsumerDeleteResponseType  = "fluvio.bus.v1.consumer_delete_response"
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

// ConsumerStorageRequest asks the SC to make sure the consumer-offset
// system topic exists (clients send it when the metadata lacks the topic).
type ConsumerStorageRequest struct {
	Type string `msgpack:"type" json:"type,omitempty"`
}

// ConsumerStorageResponse names the topic and its partition count.
type ConsumerStorageResponse struct {
	Type       string `msgpack:"type" json:"type"`
	Topic      string `msgpack:"topic" json:"topic"`
	Partitions int32  `msgpack:"partitions" json:"partitions"`
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

func (m *ConsumerStorageRequest) typeField() (*string, string) {
	return &m.Type, ConsumerStorageRequestType
}
func (m *ConsumerStorageResponse) typeField() (*string, string) {
	return &m.Type, ConsumerStorageResponseType
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
// WaitMs > 0 makes the SC answer only once every new partition can take a
// produce (its leader SPU has reported the replica), or after WaitMs (at
// most MaxTopicWaitMs), whichever first, as TopicCreateRequest.WaitMs.
type TopicAddPartitionRequest struct {
	Type   string `msgpack:"type" json:"type,omitempty"`
	Name   string `msgpack:"name" json:"name"`
	Count  int32  `msgpack:"count" json:"count"`
	WaitMs int64  `msgpack:"waitMs,omitempty" json:"waitMs,omitempty"`
}

// NewPartition is one added partition and its replicas (leader first).
type NewPartition struct {
	Partition int32   `msgpack:"partition" json:"partition"`
	Replicas  []SPUID `msgpack:"replicas" json:"replicas"`
}

// TopicAddPartitionResponse lists the added partitions. Waited: the SC
// waited as WaitMs asked; Pending then says why some new partitions
// cannot take a produce yet at the end of the wait ("" when all can). An
// SC that does not know WaitMs answers at once and leaves Waited false.
type TopicAddPartitionResponse struct {
	Type       string         `msgpack:"type" json:"type"`
	Name       string         `msgpack:"name" json:"name"`
	Partitions []NewPartition `msgpack:"partitions" json:"partitions"`
	Waited     bool           `msgpack:"waited,omitempty" json:"waited,omitempty"`
	Pending    string         `msgpack:"pending,omitempty" json:"pending,omitempty"`
}

func (m *TopicAddPartitionRequest) typeField() (*string, string) {
	return &m.Type, TopicAddPartitionRequestType
}
func (m *TopicAddPartitionResponse) typeField() (*string, string) {
	return &m.Type, TopicAddPartitionResponseType
}

// MaxConsumerNameLen bounds a consumer name.
const MaxConsumerNameLen = 63

// ValidateConsumerName allows letters, digits, '-' and '_' (a KV key
// token: no '.', '*' or '>'), at most MaxConsumerNameLen characters. The
// client checks before sending and the SC again on receipt.
func ValidateConsumerName(name string) *Error {
	bad := func(why string) *Error {
		return ErrInvalidName.With(fmt.Sprintf("invalid consumer name %q: %s", name, why),
			"use letters, digits, '-' and '_', at most 63 characters")
	}
	switch {
	case name == "":
		return bad("it is empty")
	case len(name) > MaxConsumerNameLen:
		return bad(fmt.Sprintf("it is %d characters long, the limit is %d", len(name), MaxConsumerNameLen))
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return bad(fmt.Sprintf("character %q is not allowed", c))
		}
	}
	return nil
}
