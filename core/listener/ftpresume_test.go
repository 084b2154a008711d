package listener

import (
	"crypto/rand"
	"crypto/sha256"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/proxytest"
	"github.com/stretchr/testify/require"
)

// The data connection of a RETR is cut mid-transfer (the proxy that carries
// the control and data connections closes the data connection after an odd
// number of bytes): the attempt fails without handing anything over, and
// the next poll resumes the staged download with REST at the bytes it has,
// which the server receives on the control connection; the handler gets
// the file whole, byte for byte. On every FTP server of the matrix that
// works through a proxy (active mode does not).
func TestFTPDataCutResumesWithREST(t *testing.T) {
	for _, s := range []testServer{{name: "pure-ftpd", dir: pureDir}, {name: "vsftpd", dir: vsftpdDir},
		{name: "proftpd", dir: proftpdDir}, {name: "iis-scripted", dir: iisDir}} {
		t.Run(s.name, func(t *testing.T) {
			const size, cut = 8 << 20, 3<<20 + 12345
			cfg, local := s.dir(t)
			cfg.StagingDir = t.TempDir()
			body := make([]byte, size)
			rand.Read(body)
			write(t, local, "big.bin", string(body), time.Hour)
			control := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
			proxy := proxytest.SOCKS5(t, "", "")
			cfg.Proxy = &ProxyConfig{Host: "127.0.0.1", Port: proxy.Port(), Type: "SOCKS5"}
			rec := newRecorder()
			l := newListener(t, cfg, rec)
			p := cfg.Path + "/big.bin"

			proxy.CutDownstreamAfter(cut)
			poll(t, l)
			require.EqualValues(t, 1, proxy.Cuts(), "the data connection was not cut")
			order, _, errs := rec.take()
			require.Empty(t, order, "a cut file was handed over")
			require.NotEmpty(t, errs, "the cut transfer was not reported")
			parts, _ := filepath.Glob(filepath.Join(cfg.StagingDir, partialDir, "*"))
			require.Len(t, parts, 1, "staged part")
			st, err := os.Stat(parts[0])
			require.NoError(t, err)
			staged := st.Size()
			require.Positive(t, staged, "nothing staged before the cut")
			require.LessOrEqual(t, staged, int64(cut), "more staged than the proxy let through")

			poll(t, l)
			order, _, errs = rec.take()
			require.Empty(t, errs)
			require.Equal(t, []string{p}, order)
			rec.mu.Lock()
			got := []byte(rec.files[p])
			rec.mu.Unlock()
			require.Len(t, got, size, "bytes handed to the handler")
			require.Equal(t, sha256.Sum256(body), sha256.Sum256(got), "the handler's bytes differ from the server's file")

			// On the wire: the server was sent REST with the staged length
			// before the second RETR, and no REST before the first.
			cmds := regexp.MustCompile(`(?m)^PASS .*$`).ReplaceAllString(proxy.Sent(control), "PASS (hidden)\r")
			retrs := regexp.MustCompile(`(?m)^(?:REST (\d+)\r\n)?RETR [^\r\n]*big\.bin\r$`).FindAllStringSubmatch(cmds, -1)
			require.Len(t, retrs, 2, "RETRs of big.bin on the control connection:\n%s", cmds)
			require.Empty(t, retrs[0][1], "the first download started with REST")
			rest, err := strconv.ParseInt(retrs[1][1], 10, 64)
			require.NoError(t, err, "the second download sent no REST:\n%s", cmds)
			require.Equal(t, staged, rest, "REST offset")
		})
	}
}
