<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AnswerCard</name>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the answer</source>
        <translation>复制回答</translation>
    </message>
    <message>
        <source>Copy with sources</source>
        <translation>连同出处复制</translation>
    </message>
    <message>
        <source>The answer, then &quot;[n] file, page&quot; for each source</source>
        <translation>先复制回答，再为每条出处附上“[n] 文件，页码”</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Write this answer again</source>
        <translation>重新写这个回答</translation>
    </message>
    <message>
        <source>Looking in your documents…</source>
        <translation>正在查找您的文档…</translation>
    </message>
    <message>
        <source>Reading {n} passages…</source>
        <translation>正在阅读 {n} 个段落…</translation>
    </message>
    <message>
        <source>Loading the model ({name})…</source>
        <translation>正在加载模型（{name}）…</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>正在撰写…</translation>
    </message>
    <message>
        <source>Not in your documents</source>
        <translation>您的文档中没有答案</translation>
    </message>
    <message>
        <source>The question asks about the opposite of what the closest passages say.</source>
        <translation>问题问的恰好与最接近的段落所说的相反。</translation>
    </message>
    <message>
        <source>The closest passages (in {files}) don&apos;t answer it.</source>
        <translation>最接近的段落（在 {files} 中）没有回答这个问题。</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>asked whether the closest passage answers the question as it is asked, the model said no</source>
        <translation>在被问到最接近的段落能否按原问题作答时，模型的回答是不能</translation>
    </message>
    <message>
        <source>no source holds this</source>
        <translation>没有任何出处支持这一点</translation>
    </message>
    <message>
        <source>The model wrote: “{draft}” — {why}, so it is not shown as an answer.</source>
        <translation>模型写道：“{draft}”——{why}，因此不作为回答显示。</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>(stopped before any text)</source>
        <translation>（在写出任何文字之前已停止）</translation>
    </message>
    <message>
        <source>Quoted from your documents</source>
        <translation>引自您的文档</translation>
    </message>
    <message>
        <source>The model&apos;s own answer did not hold up against the sources, so the passage that answers is quoted.</source>
        <translation>模型自己的回答与出处不符，因此直接引用能回答问题的段落。</translation>
    </message>
    <message>
        <source>Dotted underline: 1 part no source holds.</source>
        <translation>点状下划线：有 1 处内容没有出处支持。</translation>
    </message>
    <message>
        <source>Dotted underline: {n} parts no source holds.</source>
        <translation>点状下划线：有 {n} 处内容没有出处支持。</translation>
    </message>
    <message>
        <source>1 passage</source>
        <translation>1 个段落</translation>
    </message>
    <message>
        <source>{n} passages</source>
        <translation>{n} 个段落</translation>
    </message>
    <message>
        <source>1 file</source>
        <translation>1 个文件</translation>
    </message>
    <message>
        <source>{n} files</source>
        <translation>{n} 个文件</translation>
    </message>
    <message>
        <source>From {passages} in {files}</source>
        <translation>来自 {files}中的 {passages}</translation>
    </message>
    <message>
        <source>Couldn&apos;t answer</source>
        <translation>无法回答</translation>
    </message>
    <message>
        <source>No source holds this</source>
        <translation>没有出处支持这一点</translation>
    </message>
    <message>
        <source>, page {n}</source>
        <translation>，第 {n} 页</translation>
    </message>
    <message>
        <source>Sources:</source>
        <translation>出处：</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>just now</source>
        <translation>刚刚</translation>
    </message>
    <message>
        <source>{n} min ago</source>
        <translation>{n} 分钟前</translation>
    </message>
    <message>
        <source>d MMM</source>
        <comment>a date as Qt&apos;s QLocale formats it: day and month</comment>
        <translation>M月d日</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation>新对话（Ctrl+N）</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>DocumentViewer</name>
    <message>
        <source>No document open</source>
        <translation>未打开文档</translation>
    </message>
    <message>
        <source>Previous page</source>
        <translation>上一页</translation>
    </message>
    <message>
        <source>Next page</source>
        <translation>下一页</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Open in default app</source>
        <translation>用默认应用打开</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Page {n}: the passage could not be located in this page&apos;s text layer, so it is not highlighted.</source>
        <translation>第 {n} 页：在本页的文字层中找不到该段落，因此没有高亮。</translation>
    </message>
    <message>
        <source>Opening…</source>
        <translation>正在打开…</translation>
    </message>
    <message>
        <source>Showing the passage only: {reason}</source>
        <translation>仅显示该段落：{reason}</translation>
    </message>
    <message>
        <source>Page {n} of {total}</source>
        <translation>第 {n} 页，共 {total} 页</translation>
    </message>
    <message>
        <source>This file is not there now (moved, deleted, or on a drive that is not plugged in).</source>
        <translation>该文件现在不在原处（已移动、已删除，或所在的磁盘未连接）。</translation>
    </message>
    <message>
        <source>This file cannot be read now ({reason}); showing the passage only.</source>
        <translation>现在无法读取该文件（{reason}）；仅显示该段落。</translation>
    </message>
    <message>
        <source>This path is not a regular file now (a pipe or a device); showing the passage only.</source>
        <translation>该路径现在不是普通文件（而是管道或设备）；仅显示该段落。</translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <source>Ask your documents</source>
        <translation>向您的文档提问</translation>
    </message>
    <message>
        <source>Add a folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>1 file indexed.</source>
        <translation>已索引 1 个文件。</translation>
    </message>
    <message>
        <source>{n} files indexed.</source>
        <translation>已索引 {n} 个文件。</translation>
    </message>
    <message>
        <source>Ask a question below; every answer shows the passages it comes from.</source>
        <translation>在下方提问；每个回答都会显示它所依据的段落。</translation>
    </message>
    <message>
        <source>Drop more files or folders anywhere on this window to add them.</source>
        <translation>把更多文件或文件夹拖到窗口任意位置即可添加。</translation>
    </message>
    <message>
        <source>Add another folder…</source>
        <translation>再添加一个文件夹…</translation>
    </message>
    <message>
        <source>Drop files or folders anywhere on this window, or add a folder. They are indexed on this computer and kept up to date; nothing leaves it.</source>
        <translation>把文件或文件夹拖到窗口任意位置，或添加一个文件夹。它们在这台电脑上建立索引并保持更新，任何内容都不会离开这台电脑。</translation>
    </message>
    <message>
        <source>Then ask a question: answers cite the file, page and passage.</source>
        <translation>然后提问：回答会注明出处的文件、页码和段落。</translation>
    </message>
</context>
<context>
    <name>IndexingStatus</name>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop this indexing run (what is done is kept)</source>
        <translation>停止本次索引（已完成的部分会保留）</translation>
    </message>
    <message>
        <source>, about {time} left</source>
        <translation>，约剩 {time}</translation>
    </message>
    <message>
        <source>{n} passages/s</source>
        <translation>每秒 {n} 个段落</translation>
    </message>
    <message>
        <source>Indexing</source>
        <translation>正在索引</translation>
    </message>
</context>
<context>
    <name>LibraryView</name>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>embedding</source>
        <translation>向量化中</translation>
    </message>
    <message>
        <source>indexed</source>
        <translation>已索引</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>unavailable</source>
        <translation>不可用</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>所有文件</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Unavailable</source>
        <translation>不可用</translation>
    </message>
    <message>
        <source>Queued or in progress</source>
        <translation>排队中或进行中</translation>
    </message>
    <message>
        <source>Indexed</source>
        <translation>已索引</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>文档库</translation>
    </message>
    <message>
        <source>Folders kept indexed</source>
        <translation>保持索引的文件夹</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Stop watching</source>
        <translation>停止监视</translation>
    </message>
    <message>
        <source>Stop keeping the selected folders up to date (their files stay searchable until you forget them)</source>
        <translation>不再让所选文件夹保持更新（其中的文件仍可搜索，直到您将其移除）</translation>
    </message>
    <message>
        <source>Rescan now</source>
        <translation>立即重新扫描</translation>
    </message>
    <message>
        <source>Pause indexing</source>
        <translation>暂停索引</translation>
    </message>
    <message>
        <source>Filter by name or folder</source>
        <translation>按名称或文件夹筛选</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Retry selected</source>
        <translation>重试所选</translation>
    </message>
    <message>
        <source>Retry all failed</source>
        <translation>重试所有失败项</translation>
    </message>
    <message>
        <source>Forget selected…</source>
        <translation>移除所选…</translation>
    </message>
    <message>
        <source>Resume indexing</source>
        <translation>继续索引</translation>
    </message>
    <message>
        <source>{indexed} indexed · {failed} failed · {unavailable} unavailable · {queued} queued</source>
        <translation>已索引 {indexed} · 失败 {failed} · 不可用 {unavailable} · 排队 {queued}</translation>
    </message>
    <message>
        <source>parsing</source>
        <translation>解析中</translation>
    </message>
    <message>
        <source>its folder or drive is not reachable now; kept until it returns</source>
        <translation>其所在的文件夹或磁盘现在无法访问；恢复之前会一直保留</translation>
    </message>
    <message>
        <source>Forget files</source>
        <translation>移除文件</translation>
    </message>
    <message>
        <source>Remove {n} file(s) from the index? The files themselves are not touched; files inside a watched folder are not indexed again until you add them.</source>
        <translation>要从索引中移除 {n} 个文件吗？文件本身不会被改动；位于受监视文件夹中的文件，在您重新添加之前不会再被索引。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>Assistant can&apos;t start</source>
        <translation>助手无法启动</translation>
    </message>
    <message>
        <source>{n} s</source>
        <translation>{n} 秒</translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation>{n} 分钟</translation>
    </message>
    <message>
        <source>{n} h</source>
        <translation>{n} 小时</translation>
    </message>
    <message>
        <source>Download the default model ({size})</source>
        <translation>下载默认模型（{size}）</translation>
    </message>
    <message>
        <source>Choose a model file…</source>
        <translation>选择模型文件…</translation>
    </message>
    <message>
        <source>Find in this conversation</source>
        <translation>在本对话中查找</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>出处</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>Ask a question</source>
        <translation>提问</translation>
    </message>
    <message>
        <source>Find in conversation</source>
        <translation>在对话中查找</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>文档库</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>No language model yet.</source>
        <translation>还没有语言模型。</translation>
    </message>
    <message>
        <source>Answers are written by a model that runs on this computer. Download the default one ({size}, checked by its sha256) or choose a GGUF file you have (or use a model server: Settings, Model). Search and sources work meanwhile.</source>
        <translation>回答由在这台电脑上运行的模型撰写。请下载默认模型（{size}，会校验其 sha256），或选择您已有的 GGUF 文件（也可以使用模型服务器：设置 › 模型）。在此期间，搜索和出处照常可用。</translation>
    </message>
    <message>
        <source>Download failed</source>
        <translation>下载失败</translation>
    </message>
    <message>
        <source>The model could not be downloaded: {reason}

You can choose a GGUF file you already have.</source>
        <translation>无法下载模型：{reason}

您可以选择一个已有的 GGUF 文件。</translation>
    </message>
    <message>
        <source>Model downloaded; loading it…</source>
        <translation>模型已下载，正在加载…</translation>
    </message>
    <message>
        <source>Choose a GGUF model</source>
        <translation>选择 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Conversation deleted.</source>
        <translation>对话已删除。</translation>
    </message>
    <message>
        <source>Conversation restored.</source>
        <translation>对话已恢复。</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>停止回答（Esc）</translation>
    </message>
    <message>
        <source>Only the last answer can be written again.</source>
        <translation>只有最后一个回答可以重新生成。</translation>
    </message>
    <message>
        <source>{at} of {total}</source>
        <translation>第 {at} 处，共 {total} 处</translation>
    </message>
    <message>
        <source>no match</source>
        <translation>无匹配</translation>
    </message>
    <message>
        <source>Can&apos;t index</source>
        <translation>无法索引</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>1 file</source>
        <translation>1 个文件</translation>
    </message>
    <message>
        <source>{n} files</source>
        <translation>{n} 个文件</translation>
    </message>
    <message>
        <source>1 folder</source>
        <translation>1 个文件夹</translation>
    </message>
    <message>
        <source>{n} folders</source>
        <translation>{n} 个文件夹</translation>
    </message>
    <message>
        <source>Adding {what}…</source>
        <translation>正在添加{what}…</translation>
    </message>
    <message>
        <source>Keep a folder indexed</source>
        <translation>选择要保持索引的文件夹</translation>
    </message>
    <message>
        <source>Add files</source>
        <translation>添加文件</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Indexing</source>
        <translation>正在索引</translation>
    </message>
    <message>
        <source>Rebuilding the index</source>
        <translation>正在重建索引</translation>
    </message>
    <message>
        <source>Settings changed: building a new index ({files} files, about {time}); the current one answers meanwhile.</source>
        <translation>设置已更改：正在建立新索引（{files} 个文件，约需 {time}）；在此期间由当前索引作答。</translation>
    </message>
    <message>
        <source>The rebuilt index is now the one answering.</source>
        <translation>现在由重建后的索引作答。</translation>
    </message>
    <message>
        <source>Indexing…</source>
        <translation>正在索引…</translation>
    </message>
    <message>
        <source>Indexing paused</source>
        <translation>索引已暂停</translation>
    </message>
    <message>
        <source>Indexing stopped: {reason}</source>
        <translation>索引已停止：{reason}</translation>
    </message>
    <message>
        <source>Up to date</source>
        <translation>已是最新</translation>
    </message>
    <message>
        <source>Repaired the index after an interrupted run.</source>
        <translation>已修复上次中断后的索引。</translation>
    </message>
    <message>
        <source>, about {time} left</source>
        <translation>，约剩 {time}</translation>
    </message>
    <message>
        <source>Indexing: {n} files left{eta}</source>
        <translation>正在索引：还剩 {n} 个文件{eta}</translation>
    </message>
    <message>
        <source>{added} added, {updated} updated</source>
        <translation>新增 {added} 个，更新 {updated} 个</translation>
    </message>
    <message>
        <source>, {n} could not be read (see the Library)</source>
        <translation>，{n} 个无法读取（见文档库）</translation>
    </message>
    <message>
        <source>Indexing finished</source>
        <translation>索引完成</translation>
    </message>
    <message>
        <source>Some files could not be read</source>
        <translation>部分文件无法读取</translation>
    </message>
    <message>
        <source>{n} file(s): see the Library</source>
        <translation>{n} 个文件：见文档库</translation>
    </message>
    <message>
        <source>Could not index: {reason}</source>
        <translation>无法索引：{reason}</translation>
    </message>
    <message>
        <source>{n} added</source>
        <translation>新增 {n} 个</translation>
    </message>
    <message>
        <source>{n} updated</source>
        <translation>更新 {n} 个</translation>
    </message>
    <message>
        <source>{n} removed</source>
        <translation>移除 {n} 个</translation>
    </message>
    <message>
        <source>{n} could not be read</source>
        <translation>{n} 个无法读取</translation>
    </message>
    <message>
        <source>Indexed: {parts}</source>
        <translation>已索引：{parts}</translation>
    </message>
    <message>
        <source> — see the Library</source>
        <translation>——见文档库</translation>
    </message>
    <message>
        <source>Indexing is off</source>
        <translation>索引已关闭</translation>
    </message>
    <message>
        <source>Indexing is not running.</source>
        <translation>索引没有在运行。</translation>
    </message>
    <message>
        <source>Loading model {name}…</source>
        <translation>正在加载模型 {name}…</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>模型：{name}</translation>
    </message>
    <message>
        <source>Model not loaded: {reason}</source>
        <translation>模型未加载：{reason}</translation>
    </message>
    <message>
        <source>The window&apos;s language changes at the next start.</source>
        <translation>窗口语言将在下次启动时更改。</translation>
    </message>
    <message>
        <source>Start at login</source>
        <translation>登录时启动</translation>
    </message>
    <message>
        <source>Could not change {path}: {reason}.</source>
        <translation>无法更改 {path}：{reason}。</translation>
    </message>
    <message>
        <source>Assistant starts at login, hidden in the tray ({path}).</source>
        <translation>助手将在登录时启动，并隐藏在托盘中（{path}）。</translation>
    </message>
    <message>
        <source>Assistant no longer starts at login.</source>
        <translation>助手不再在登录时启动。</translation>
    </message>
    <message>
        <source>Settings saved.</source>
        <translation>设置已保存。</translation>
    </message>
    <message>
        <source>Assistant is still running</source>
        <translation>助手仍在运行</translation>
    </message>
    <message>
        <source>It keeps your folders indexed. Ask from the tray icon, or choose Quit there to stop it.</source>
        <translation>它会让您的文件夹保持索引。可以从托盘图标提问，或在那里选择“退出”来停止它。</translation>
    </message>
</context>
<context>
    <name>PdfPages</name>
    <message>
        <source>cannot open this PDF ({reason})</source>
        <translation>无法打开此 PDF（{reason}）</translation>
    </message>
</context>
<context>
    <name>QuestionBox</name>
    <message>
        <source>Ask about your documents…  (Enter sends, Shift+Enter: new line)</source>
        <translation>就您的文档提问…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
</context>
<context>
    <name>QuickAsk</name>
    <message>
        <source>Ask the assistant</source>
        <translation>向助手提问</translation>
    </message>
    <message>
        <source>Ask your documents…  (Enter asks, Esc hides)</source>
        <translation>向您的文档提问…（Enter 提问，Esc 隐藏）</translation>
    </message>
    <message>
        <source>Continue in window</source>
        <translation>在窗口中继续</translation>
    </message>
    <message>
        <source>, page {n}</source>
        <translation>，第 {n} 页</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>This computer (a GGUF file, llama.cpp)</source>
        <translation>这台电脑（GGUF 文件，llama.cpp）</translation>
    </message>
    <message>
        <source>A model server (OpenAI-compatible API)</source>
        <translation>模型服务器（兼容 OpenAI 的 API）</translation>
    </message>
    <message>
        <source>Runs on</source>
        <translation>运行于</translation>
    </message>
    <message>
        <source>Choose a file…</source>
        <translation>选择文件…</translation>
    </message>
    <message>
        <source>Model file</source>
        <translation>模型文件</translation>
    </message>
    <message>
        <source>GGUF files in {folder}</source>
        <translation>{folder} 中的 GGUF 文件</translation>
    </message>
    <message>
        <source>Auto (all layers when the build supports it)</source>
        <translation>自动（构建支持时卸载全部层）</translation>
    </message>
    <message>
        <source>Off (CPU only)</source>
        <translation>关闭（仅用 CPU）</translation>
    </message>
    <message>
        <source>Some layers</source>
        <translation>部分层</translation>
    </message>
    <message>
        <source>GPU offload</source>
        <translation>GPU 卸载</translation>
    </message>
    <message>
        <source>Automatic (physical cores)</source>
        <translation>自动（物理核心数）</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>CPU 线程</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个词元</translation>
    </message>
    <message>
        <source>Context size</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Model server</source>
        <translation>模型服务器</translation>
    </message>
    <message>
        <source>API address</source>
        <translation>API 地址</translation>
    </message>
    <message>
        <source>the first model the server lists</source>
        <translation>服务器列出的第一个模型</translation>
    </message>
    <message>
        <source>Model name</source>
        <translation>模型名称</translation>
    </message>
    <message>
        <source>kept in the keychain (type to replace)</source>
        <translation>保存在钥匙串中（输入新值以替换）</translation>
    </message>
    <message>
        <source>none (type one to keep it in the keychain)</source>
        <translation>无（输入后将保存在钥匙串中）</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>The key is kept in your system&apos;s keychain, never in config.toml.</source>
        <translation>密钥保存在系统的钥匙串中，绝不会写入 config.toml。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Passages per answer</source>
        <translation>每个回答的段落数</translation>
    </message>
    <message>
        <source>Longest answer (tokens)</source>
        <translation>最长回答（词元）</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>Folders kept indexed</source>
        <translation>保持索引的文件夹</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Ignore patterns (gitignore syntax, one per line)</source>
        <translation>忽略规则（gitignore 语法，每行一条）</translation>
    </message>
    <message>
        <source>Follow links that lead out of indexed folders</source>
        <translation>跟随指向已索引文件夹之外的链接</translation>
    </message>
    <message>
        <source>Off: a symbolic link to a file or folder outside the folder is skipped. Either way, links to hidden, sensitive or ignored places, other people&apos;s home folders, the assistant&apos;s own data, your home folder or a folder around the indexed one are never followed.</source>
        <translation>关闭时：指向该文件夹之外的文件或文件夹的符号链接会被跳过。无论开关与否，指向隐藏、敏感或被忽略的位置、他人的主文件夹、助手自己的数据、您的主文件夹或包含已索引文件夹的上级文件夹的链接都不会被跟随。</translation>
    </message>
    <message>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Every language (multilingual-e5-small)</source>
        <translation>所有语言（multilingual-e5-small）</translation>
    </message>
    <message>
        <source>English only, indexes faster (all-MiniLM-L6-v2)</source>
        <translation>仅英语，索引更快（all-MiniLM-L6-v2）</translation>
    </message>
    <message>
        <source>The model that gives passages their meaning. Every language: one index for documents in many languages, and a question in one language finds a passage in another. English only: about five times faster to index on a CPU, but it does not understand other languages.</source>
        <translation>理解段落含义的模型。所有语言：一个索引容纳多种语言的文档，用一种语言提问也能找到另一种语言的段落。仅英语：在 CPU 上索引快约五倍，但不理解其他语言。</translation>
    </message>
    <message>
        <source>Set in the settings file (an embedding server or a model folder).</source>
        <translation>已在设置文件中指定（嵌入服务器或模型文件夹）。</translation>
    </message>
    <message>
        <source>Search model</source>
        <translation>检索模型</translation>
    </message>
    <message>
        <source>Passage size (tokens)</source>
        <translation>段落长度（词元）</translation>
    </message>
    <message>
        <source>Changing it builds a new index in the background; the current one answers until it is ready.</source>
        <translation>更改后会在后台建立新索引；新索引就绪之前，由当前索引作答。</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>高级</translation>
    </message>
    <message>
        <source>Desktop</source>
        <translation>桌面</translation>
    </message>
    <message>
        <source>Quick-ask shortcut</source>
        <translation>快速提问快捷键</translation>
    </message>
    <message>
        <source>Open the quick-ask popup from anywhere with</source>
        <translation>在任何地方打开快速提问窗口，使用</translation>
    </message>
    <message>
        <source>Where the shortcut can&apos;t be registered (some Wayland desktops), add a custom shortcut in your desktop&apos;s keyboard settings that runs this command; it opens the popup of the running app:</source>
        <translation>如果无法注册该快捷键（某些 Wayland 桌面），请在桌面的键盘设置中添加一个运行以下命令的自定义快捷键；它会打开正在运行的应用的快速提问窗口：</translation>
    </message>
    <message>
        <source>Copy command</source>
        <translation>复制命令</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Start Assistant when I log in (hidden in the tray)</source>
        <translation>登录时启动助手（隐藏在托盘中）</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>As the system (now: {name})</source>
        <translation>跟随系统（当前：{name}）</translation>
    </message>
    <message>
        <source>Window language</source>
        <translation>窗口语言</translation>
    </message>
    <message>
        <source>Applies the next time the assistant starts. Answers are written in the language of the question.</source>
        <translation>下次启动助手时生效。回答总是使用提问所用的语言。</translation>
    </message>
    <message>
        <source>System tray</source>
        <translation>系统托盘</translation>
    </message>
    <message numerus="yes">
        <source>Largest passage, in the search model&apos;s tokens; this model reads at most %n tokens.</source>
        <translation>
            <numerusform>最长段落，以检索模型的词元计；此模型最多读取 %n 个词元。</numerusform>
        </translation>
    </message>
    <message>
        <source>Choose a GGUF model</source>
        <translation>选择 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Keep a folder indexed</source>
        <translation>选择要保持索引的文件夹</translation>
    </message>
    <message>
        <source>API key not kept</source>
        <translation>未能保存 API 密钥</translation>
    </message>
</context>
<context>
    <name>SourcesPanel</name>
    <message>
        <source>Sources</source>
        <translation>出处</translation>
    </message>
    <message>
        <source>Ask a question: the passages an answer comes from appear here, one click from the document.</source>
        <translation>提个问题：回答所依据的段落会显示在这里，点一下即可打开文档。</translation>
    </message>
    <message>
        <source>Closest passages (they don&apos;t answer it)</source>
        <translation>最接近的段落（它们没有回答这个问题）</translation>
    </message>
    <message>
        <source>{cited} cited, {more} more retrieved</source>
        <translation>引用 {cited} 个，另检索到 {more} 个</translation>
    </message>
    <message>
        <source>1 passage retrieved</source>
        <translation>检索到 1 个段落</translation>
    </message>
    <message>
        <source>{n} passages retrieved</source>
        <translation>检索到 {n} 个段落</translation>
    </message>
    <message>
        <source>No passages.</source>
        <translation>没有段落。</translation>
    </message>
    <message>
        <source>page {n}</source>
        <translation>第 {n} 页</translation>
    </message>
    <message>
        <source>fused {score}</source>
        <translation>融合分 {score}</translation>
    </message>
    <message>
        <source>support {score}</source>
        <translation>支持度 {score}</translation>
    </message>
    <message>
        <source>similarity {score}</source>
        <translation>相似度 {score}</translation>
    </message>
    <message>
        <source>keywords #{rank}</source>
        <translation>关键词第 {rank} 名</translation>
    </message>
    <message>
        <source>meaning #{rank}</source>
        <translation>语义第 {rank} 名</translation>
    </message>
</context>
<context>
    <name>TextPane</name>
    <message>
        <source>The file changed since it was indexed; the passage is not in it now.</source>
        <translation>该文件在索引后已更改；段落现在已不在其中。</translation>
    </message>
    <message>
        <source>The file changed since it was indexed; the passage was found elsewhere.</source>
        <translation>该文件在索引后已更改；段落在其他位置找到。</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>No system tray here: the desktop shows no tray icons (on GNOME, install and enable the &quot;AppIndicator and KStatusNotifierItem Support&quot; extension, e.g. the gnome-shell-extension-appindicator package). Meanwhile closing the window quits the assistant; `assistant popup` still opens a quick question.</source>
        <translation>这里没有系统托盘：桌面不显示托盘图标（在 GNOME 上，请安装并启用“AppIndicator and KStatusNotifierItem Support”扩展，例如 gnome-shell-extension-appindicator 软件包）。在此之前，关闭窗口会退出助手；`assistant popup` 仍可打开快速提问。</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>Ask…</source>
        <translation>提问…</translation>
    </message>
    <message>
        <source>Open assistant</source>
        <translation>打开助手</translation>
    </message>
    <message>
        <source>Pause indexing</source>
        <translation>暂停索引</translation>
    </message>
    <message>
        <source>Up to date</source>
        <translation>已是最新</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Assistant — {status}</source>
        <translation>助手 — {status}</translation>
    </message>
    <message>
        <source>Resume indexing</source>
        <translation>继续索引</translation>
    </message>
</context>
</TS>
