package batch

import "encoding/binary"

// SetProducerFields sets the producer id, producer epoch and base
// sequence of the encoded batch b and recomputes its CRC, which covers
// them (a producer re-stamping a batch it built earlier). b must be
// exactly one whole batch.
func SetProducerFields(b []byte, id int64, epoch int16, baseSequence int32) {
	binary.BigEndian.PutUint64(b[ProducerIDOffset:], uint64(id))
	binary.BigEndian.PutUint16(b[ProducerEpochOffset:], uint16(epoch))
	binary.BigEndian.PutUint32(b[BaseSequenceOffset:], uint32(baseSequence))
	binary.BigEndian.PutUint32(b[CRCOffset:], Checksum(b[AttributesOffset:]))
}
