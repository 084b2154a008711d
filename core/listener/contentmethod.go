package listener

// MethodFor names the method of s that takes f, as OnFile routes it, for
// the after-actions per method (MethodRouter): onFileText, onFileJson,
// onFileXml, onFileCsv, or onFile when no typed method takes it.
func (s *ContentService) MethodFor(f FileInfo) string {
	switch kind := s.kindOf(f); {
	case kind == ContentText && s.Text != nil:
		return "onFileText"
	case kind == ContentJSON && s.JSON != nil:
		return "onFileJson"
	case kind == ContentXML && s.XML != nil:
		return "onFileXml"
	case kind == ContentCSV && s.CSV != nil:
		return "onFileCsv"
	}
	return "onFile"
}
