package tools

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap/zaptest"
)

// TestProgressOrderingHTTP measures progress ordering over streamable
// HTTP, where notifications of a call travel on the call's SSE response.
func TestProgressOrderingHTTP(t *testing.T) {
	const n = 50
	log := zaptest.NewLogger(t)
	s := tickServer(log, progressMiddleware(log, 0))
	hs := httptest.NewServer(server.NewStreamableHTTPServer(s))
	defer hs.Close()
	c, err := client.NewStreamableHttpClient(hs.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	seen := map[string]int{}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			mu.Lock()
			seen[fmt.Sprint(n.Params.AdditionalFields["progressToken"])]++
			mu.Unlock()
		}
	})
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	ordered := 0
	for i := range n {
		token := fmt.Sprintf("h%d", i)
		req := mcp.CallToolRequest{}
		req.Params.Name = "tick"
		req.Params.Meta = &mcp.Meta{ProgressToken: token}
		if _, err := c.CallTool(ctx, req); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		if seen[token] == 5 {
			ordered++
		}
		mu.Unlock()
	}
	time.Sleep(50 * time.Millisecond)
	t.Logf("streamable HTTP: %d/%d calls had all 5 progress notifications before the result", ordered, n)
	if ordered < n*97/100 {
		t.Errorf("only %d/%d calls had their progress before the result", ordered, n)
	}
}
