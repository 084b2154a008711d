package remote

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// namePacket is an SFTP NAME packet announcing count names (its body
// padded, not real entries: the watch reads only the header).
func namePacket(id, count uint32, pad int) []byte {
	body := make([]byte, 9+pad)
	body[0] = sshFxpName
	binary.BigEndian.PutUint32(body[1:], id)
	binary.BigEndian.PutUint32(body[5:], count)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// FuzzSFTPWatch feeds the SFTP stream watcher any bytes, cut at any point:
// it must pass every byte through unchanged and never panic, and the names
// it counts must not depend on how the stream was cut.
func FuzzSFTPWatch(f *testing.F) {
	stream := append(namePacket(1, 100, 20), namePacket(2, 7, 0)...)
	stream = append(stream, 0, 0, 0, 5, 2, 0, 0, 0, 3) // a VERSION packet, shorter than a NAME header
	stream = append(stream, 0, 0, 0, 0)                // an empty packet
	stream = append(stream, namePacket(3, 1<<31, 3)...)
	f.Add(stream, uint8(1))
	f.Add(stream, uint8(13))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, sshFxpName}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		count := func(chunk int) (int64, []byte) {
			w := &sftpWatch{r: &chunked{b: data, n: chunk}}
			w.limit.Store(1 << 62)
			out, err := io.ReadAll(w)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			return w.names.Load(), out
		}
		whole, out := count(len(data) + 1)
		if !bytes.Equal(out, data) {
			t.Fatalf("the watch changed the stream")
		}
		if byCut, _ := count(int(cut)%17 + 1); byCut != whole {
			t.Fatalf("names %d read whole, %d read in pieces of %d", whole, byCut, int(cut)%17+1)
		}
	})
}

// chunked reads b n bytes at a time.
type chunked struct {
	b []byte
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}
