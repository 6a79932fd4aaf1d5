package batch

import "testing"

func TestSetProducerFieldsKeepsCRCValid(t *testing.T) {
	var b Builder
	b.Reset(1)
	b.Add([]byte("k"), []byte("v"), nil, 1)
	p := append([]byte(nil), b.Bytes()...)
	SetProducerFields(p, 77, 3, 1000)
	if _, err := Validate(p); err != nil {
		t.Fatalf("re-stamped batch: %v", err)
	}
	if ProducerID(p) != 77 || ProducerEpoch(p) != 3 || BaseSequence(p) != 1000 {
		t.Fatalf("fields %d %d %d", ProducerID(p), ProducerEpoch(p), BaseSequence(p))
	}
}
