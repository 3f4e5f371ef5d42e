"""The Content page (内容库) and the share dialog (copy for WeChat)."""
