package nemo

import (
	"strings"
	"testing"
)

// The cloud fetches upload URLs itself, so a URL must not carry our
// user's credentials to it (user@host), and a private or loopback
// address names nothing the cloud can reach: both are refused here,
// before anything is sent, with what to do instead.
func TestCheckUploadURLRefusesCredentialsAndPrivateHosts(t *testing.T) {
	refused := []string{
		"https://user:secret@example.com/a.mp3",
		"https://user@example.com/a.mp3",
		"http://localhost/a.mp3",
		"http://LOCALHOST./a.mp3",
		"http://127.0.0.1:8080/a.mp3",
		"http://[::1]/a.mp3",
		"http://[::ffff:127.0.0.1]/a.mp3",
		"http://169.254.169.254/latest/meta-data",
		"http://10.0.0.5/a.wav",
		"http://0.0.0.0/a.wav",
		"ftp://example.com/a.mp3",
	}
	for _, u := range refused {
		err := CheckUploadURL(u)
		if err == nil {
			t.Errorf("CheckUploadURL(%q) = nil, want a refusal", u)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("CheckUploadURL(%q) error %q repeats the password", u, err)
		}
	}
	for _, u := range []string{"https://example.com/a.mp3", "http://93.184.216.34/clip.mp4", "https://cdn.example.com/x"} {
		if err := CheckUploadURL(u); err != nil {
			t.Errorf("CheckUploadURL(%q) = %v, want nil", u, err)
		}
	}
}
