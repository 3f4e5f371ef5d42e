<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>ChangePinDialog</name>
    <message>
        <source>Digits only, please.</source>
        <translation>只能输入数字。</translation>
    </message>
    <message>
        <source>At least {min} digits.</source>
        <translation>至少 {min} 位数字。</translation>
    </message>
    <message>
        <source>At most {max} digits.</source>
        <translation>最多 {max} 位数字。</translation>
    </message>
    <message>
        <source>Not one digit over and over.</source>
        <translation>不能全是同一个数字。</translation>
    </message>
    <message>
        <source>Not a straight run such as 123456 or 987654.</source>
        <translation>不能是 123456、987654 这样的连续数字。</translation>
    </message>
    <message>
        <source>The two entries differ. Type the new PIN again.</source>
        <translation>两次输入不一致，请再输一次新 PIN 码。</translation>
    </message>
    <message>
        <source>Choose a PIN different from the one you have.</source>
        <translation>新 PIN 码不能与现在的相同。</translation>
    </message>
    <message>
        <source>Choose a new PIN</source>
        <translation>设置新 PIN 码</translation>
    </message>
    <message>
        <source>{name}, your PIN must change before you carry on: at least {n} digits, not one digit repeated, not a straight run such as 123456.</source>
        <translation>{name}，请先修改 PIN 码再继续：至少 {n} 位数字，不能全是同一个数字，也不能是 123456 这样的连续数字。</translation>
    </message>
    <message>
        <source>New PIN</source>
        <translation>新 PIN 码</translation>
    </message>
    <message>
        <source>New PIN again</source>
        <translation>再输一次</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Saving at HQ…</source>
        <translation>正在提交总部…</translation>
    </message>
    <message>
        <source>HQ refused this PIN as too easy to guess. Choose another.</source>
        <translation>总部认为这个 PIN 码太容易被猜到，请换一个。</translation>
    </message>
    <message>
        <source>Your sign-in has expired. Sign in again.</source>
        <translation>登录已过期，请重新登录。</translation>
    </message>
    <message>
        <source>HQ refused the new PIN: {reason}</source>
        <translation>总部未接受新 PIN 码：{reason}</translation>
    </message>
</context>
<context>
    <name>ColleaguePanel</name>
    <message>
        <source>{name}&apos;s customer</source>
        <translation>{name}的顾客</translation>
    </message>
    <message>
        <source>The store&apos;s customer (no guide)</source>
        <translation>门店顾客（未分配导购）</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>Whose customer</source>
        <translation>所属导购</translation>
    </message>
    <message>
        <source>Served at the counter…</source>
        <translation>记接待…</translation>
    </message>
    <message>
        <source>Also found among colleagues&apos; customers: {n}</source>
        <translation>同事的顾客中也找到：{n} 位</translation>
    </message>
    <message>
        <source>Not in your book, but a colleague&apos;s customer: {n}</source>
        <translation>不在您的顾客簿中，是同事的顾客：{n} 位</translation>
    </message>
    <message>
        <source>More match: type more of the name or phone.</source>
        <translation>还有更多匹配：请多输入几个字或手机号码。</translation>
    </message>
    <message>
        <source>Counter visit of {name} recorded for {owner}.</source>
        <translation>已为{owner}记下{name}的接待记录。</translation>
    </message>
    <message>
        <source>the store</source>
        <translation>门店</translation>
    </message>
</context>
<context>
    <name>ComingSoonPage</name>
    <message>
        <source>Coming soon</source>
        <translation>即将推出</translation>
    </message>
</context>
<context>
    <name>ComposeBar</name>
    <message>
        <source>Free composition…</source>
        <translation>自由组合…</translation>
    </message>
    <message>
        <source>My drafts ({n})</source>
        <translation>我的草稿（{n}）</translation>
    </message>
</context>
<context>
    <name>ComposeDialog</name>
    <message>
        <source>Free composition</source>
        <translation>自由组合</translation>
    </message>
    <message>
        <source>Search products by name or SKU</source>
        <translation>按商品名或货号搜索</translation>
    </message>
    <message>
        <source>Your own words. {称呼}, {导购} and {门店} are filled in for each customer.</source>
        <translation>写下你想说的话。{称呼}、{导购}、{门店}会按每位顾客自动填好。</translation>
    </message>
    <message>
        <source>Choose the 631 category</source>
        <translation>选择 631 类别</translation>
    </message>
    <message>
        <source>Save draft</source>
        <translation>保存草稿</translation>
    </message>
    <message>
        <source>Share…</source>
        <translation>分享…</translation>
    </message>
    <message>
        <source>Delete draft</source>
        <translation>删除草稿</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Products</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Pictures from the library</source>
        <translation>素材库图片</translation>
    </message>
    <message>
        <source>Preview (for {address})</source>
        <translation>预览（以{address}为例）</translation>
    </message>
    <message>
        <source>Write a few words first.</source>
        <translation>请先写几句话。</translation>
    </message>
    <message>
        <source>The text is longer than {n} characters.</source>
        <translation>文字超过 {n} 字了。</translation>
    </message>
    <message>
        <source>At most {n} pictures.</source>
        <translation>最多 {n} 张图片。</translation>
    </message>
    <message>
        <source>At most {n} products.</source>
        <translation>最多 {n} 件商品。</translation>
    </message>
    <message>
        <source>Choose the 631 category (brand, service or selling).</source>
        <translation>请选择 631 类别（品牌、服务或销售）。</translation>
    </message>
    <message>
        <source>{chars} / {max_chars} characters · {pics} / {max_pics} pictures · {skus} / {max_skus} products</source>
        <translation>{chars}/{max_chars} 字 · 图片 {pics}/{max_pics} · 商品 {skus}/{max_skus}</translation>
    </message>
    <message>
        <source>{n} picture(s)</source>
        <translation>{n} 张图片</translation>
    </message>
    <message>
        <source>products: {names}</source>
        <translation>商品：{names}</translation>
    </message>
    <message>
        <source>Draft saved.</source>
        <translation>草稿已保存</translation>
    </message>
    <message>
        <source>Nothing to save yet.</source>
        <translation>还没有可保存的内容</translation>
    </message>
</context>
<context>
    <name>ContentPage</name>
    <message>
        <source>Search title, words, tags</source>
        <translation>搜索标题、文字、标签</translation>
    </message>
    <message>
        <source>All tags</source>
        <translation>全部标签</translation>
    </message>
    <message>
        <source>All campaigns</source>
        <translation>全部活动</translation>
    </message>
    <message>
        <source>Valid today</source>
        <translation>今天有效</translation>
    </message>
    <message>
        <source>Copy for WeChat…</source>
        <translation>复制到微信…</translation>
    </message>
    <message>
        <source>HQ has not published any content yet; it appears here after a sync.</source>
        <translation>总部还没有发布内容，同步后会出现在这里</translation>
    </message>
    <message>
        <source>No content matches these filters.</source>
        <translation>没有符合筛选条件的内容。</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>全部类型</translation>
    </message>
    <message>
        <source>All 631 categories</source>
        <translation>全部 631 类别</translation>
    </message>
    <message>
        <source>Campaign copy</source>
        <translation>活动软文</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Outfit</source>
        <translation>推荐搭配</translation>
    </message>
    <message>
        <source>Poster</source>
        <translation>海报</translation>
    </message>
    <message>
        <source>Tip</source>
        <translation>经验分享</translation>
    </message>
    <message>
        <source>Brand (60%)</source>
        <translation>品牌类 60%</translation>
    </message>
    <message>
        <source>Service (30%)</source>
        <translation>服务类 30%</translation>
    </message>
    <message>
        <source>Selling (10%)</source>
        <translation>销售类 10%</translation>
    </message>
    <message>
        <source>until {day}</source>
        <translation>至 {day}</translation>
    </message>
    <message>
        <source>from {day}</source>
        <translation>自 {day} 起</translation>
    </message>
    <message>
        <source>no end date</source>
        <translation>长期有效</translation>
    </message>
</context>
<context>
    <name>CounterVisitDialog</name>
    <message>
        <source>Served at the counter</source>
        <translation>接待记录</translation>
    </message>
    <message>
        <source>{name} ({phone}) · {owner}</source>
        <translation>{name}（{phone}）· {owner}</translation>
    </message>
    <message>
        <source>A short note for {owner}: it appears in their timeline as your note. The customer stays theirs.</source>
        <translation>给{owner}留一句话：会以您的名义出现在其跟进记录中。顾客仍归其所有。</translation>
    </message>
    <message>
        <source>the store</source>
        <translation>门店</translation>
    </message>
    <message>
        <source>e.g. tried the camel coat in M, will come back</source>
        <translation>例如：试了驼色大衣 M 码，过几天再来</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Discard the note?</source>
        <translation>放弃这条记录？</translation>
    </message>
    <message>
        <source>The note you typed is not saved. Discard it?</source>
        <translation>您输入的内容还没有保存。要放弃吗？</translation>
    </message>
</context>
<context>
    <name>CustomerBook</name>
    <message>
        <source>Search: last 4 phone digits / name / pinyin / initials (Ctrl+F)</source>
        <translation>搜索：手机尾号 / 姓名 / 拼音 / 首字母（Ctrl+F）</translation>
    </message>
    <message>
        <source>All stages</source>
        <translation>全部阶段</translation>
    </message>
    <message>
        <source>All tiers</source>
        <translation>全部层级</translation>
    </message>
    <message>
        <source>All tags</source>
        <translation>全部标签</translation>
    </message>
    <message>
        <source>Any birthday</source>
        <translation>生日不限</translation>
    </message>
    <message>
        <source>Birthday this week</source>
        <translation>本周生日</translation>
    </message>
    <message>
        <source>Birthday this month</source>
        <translation>本月生日</translation>
    </message>
    <message>
        <source>Any last contact</source>
        <translation>联系时间不限</translation>
    </message>
    <message>
        <source>Not contacted for {n} days</source>
        <translation>{n} 天未联系</translation>
    </message>
    <message>
        <source>Any follow-up</source>
        <translation>全部跟进</translation>
    </message>
    <message>
        <source>Follow-up due</source>
        <translation>待跟进</translation>
    </message>
    <message>
        <source>All guides</source>
        <translation>全部导购</translation>
    </message>
    <message>
        <source>Clear filters</source>
        <translation>清除筛选</translation>
    </message>
    <message>
        <source>Customers: {n}</source>
        <translation>共 {n} 位顾客</translation>
    </message>
    <message>
        <source>Customers: {n}+</source>
        <translation>{n}+ 位顾客</translation>
    </message>
    <message>
        <source>No customers on this terminal yet. Sync first (F5), or ask IT to enrol this terminal.</source>
        <translation>本机还没有顾客数据：请先同步（按 F5），或请信息部登记本机。</translation>
    </message>
    <message>
        <source>No customer found with the filters on: {filters}. The filters may hide the customer you are looking for.</source>
        <translation>在当前筛选（{filters}）下没有找到顾客。要找的顾客可能被筛选条件隐藏了。</translation>
    </message>
    <message>
        <source>No customer matches the filters on: {filters}.</source>
        <translation>没有符合当前筛选（{filters}）的顾客。</translation>
    </message>
    <message>
        <source>No customer found in your book. Check the last 4 digits of the phone, the name, its pinyin or initials (e.g. zs).</source>
        <translation>您的顾客簿中没有找到。请核对手机尾号后四位、姓名、拼音或首字母（如 zs）。</translation>
    </message>
    <message>
        <source>No customers in your book yet.</source>
        <translation>您的顾客簿中还没有顾客。</translation>
    </message>
</context>
<context>
    <name>CustomerListModel</name>
    <message>
        <source>Follow-up due today</source>
        <translation>今天待跟进</translation>
    </message>
    <message>
        <source>Overdue {n} day(s)</source>
        <translation>跟进已逾期 {n} 天</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>层级</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>阶段</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>积分</translation>
    </message>
    <message>
        <source>Last purchase</source>
        <translation>最近购买</translation>
    </message>
    <message>
        <source>Last contact</source>
        <translation>最近联系</translation>
    </message>
    <message>
        <source>Birthday</source>
        <translation>生日</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>跟进</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Guide</source>
        <translation>导购</translation>
    </message>
    <message>
        <source>Next follow-up: {day}</source>
        <translation>下次跟进：{day}</translation>
    </message>
    <message>
        <source>Not sortable</source>
        <translation>此列不能排序</translation>
    </message>
</context>
<context>
    <name>DailyChart</name>
    <message>
        <source>Tasks completed per day, last 14 days</source>
        <translation>近 14 天每日完成任务数</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>完成数</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Date ({first} – {last})</source>
        <translation>日期（{first} – {last}）</translation>
    </message>
    <message>
        <source>{month}/{day}</source>
        <translation>{month}月{day}日</translation>
    </message>
</context>
<context>
    <name>DraftsDialog</name>
    <message>
        <source>My drafts</source>
        <translation>我的草稿</translation>
    </message>
    <message>
        <source>No drafts yet: “Free composition…” starts one.</source>
        <translation>还没有草稿，点“自由组合…”开始写一条。</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>(no words yet)</source>
        <translation>（还没写文字）</translation>
    </message>
</context>
<context>
    <name>EditCustomerDialog</name>
    <message>
        <source>Edit customer</source>
        <translation>编辑顾客资料</translation>
    </message>
    <message>
        <source>Separate tags with 、 or commas</source>
        <translation>多个标签用 、 或逗号隔开</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Preferences</source>
        <translation>偏好</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Sends no marketing (the customer asked)</source>
        <translation>不发营销消息（顾客要求）</translation>
    </message>
    <message>
        <source>Why, e.g. asked on the phone on 12-02</source>
        <translation>原因，例如：12月2日电话中要求</translation>
    </message>
    <message>
        <source>Marketing</source>
        <translation>营销消息</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <source>Something went wrong</source>
        <translation>出错了</translation>
    </message>
    <message>
        <source>GuideDesk ran into an unexpected problem. Your saved work is safe. Please copy the details and send them to IT.</source>
        <translation>导购工作台遇到了意外问题。已保存的内容不受影响。请复制详情发给信息部。</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详情</translation>
    </message>
</context>
<context>
    <name>ErrorReporter</name>
    <message>
        <source>The local data file is busy. Wait a moment and try again.</source>
        <translation>本机数据文件正忙，请稍等片刻再试。</translation>
    </message>
    <message>
        <source>The disk is full: nothing could be saved. Ask IT to free some space.</source>
        <translation>磁盘已满，刚才的内容没有保存。请联系信息部清理空间。</translation>
    </message>
    <message>
        <source>The local data file is read-only or cannot be opened: nothing could be saved. Ask IT to check the file and its folder.</source>
        <translation>本机数据文件是只读的或无法打开，刚才的内容没有保存。请联系信息部检查该文件及其所在文件夹。</translation>
    </message>
    <message>
        <source>The local data file could not be read or written. Ask IT to check the disk.</source>
        <translation>无法读写本机数据文件。请联系信息部检查磁盘。</translation>
    </message>
    <message>
        <source>The local data file is damaged. Ask IT to restore it (HQ keeps a copy).</source>
        <translation>本机数据文件已损坏。请联系信息部恢复（总部有备份）。</translation>
    </message>
    <message>
        <source>GuideDesk</source>
        <translation>导购工作台</translation>
    </message>
</context>
<context>
    <name>EvidenceDialog</name>
    <message>
        <source>Evidence — {title}</source>
        <translation>凭证 — {title}</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>FollowUpDialog</name>
    <message>
        <source>Log a follow-up</source>
        <translation>记跟进</translation>
    </message>
    <message>
        <source>Follow-up with {name}</source>
        <translation>跟进 {name}</translation>
    </message>
    <message>
        <source>What did you talk about? What does the customer want next?</source>
        <translation>聊了什么？顾客接下来想要什么？</translation>
    </message>
    <message>
        <source>Follow up again on</source>
        <translation>下次跟进日期</translation>
    </message>
    <message>
        <source>↑/↓: one day · PgUp/PgDn: one month</source>
        <translation>↑/↓：前后一天 · 翻页键：前后一个月</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>Head</source>
        <translation>头部</translation>
    </message>
    <message>
        <source>Waist</source>
        <translation>腰部</translation>
    </message>
    <message>
        <source>Regular</source>
        <translation>普通</translation>
    </message>
    <message>
        <source>Prospect</source>
        <translation>潜客</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新客</translation>
    </message>
    <message>
        <source>Mature</source>
        <translation>成熟</translation>
    </message>
    <message>
        <source>At risk</source>
        <translation>流失预警</translation>
    </message>
    <message>
        <source>Dormant</source>
        <translation>沉睡</translation>
    </message>
    <message>
        <source>WeChat</source>
        <translation>微信</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>In store</source>
        <translation>到店</translation>
    </message>
    <message>
        <source>SMS</source>
        <translation>短信</translation>
    </message>
    <message>
        <source>Brand</source>
        <translation>品牌</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Selling</source>
        <translation>销售</translation>
    </message>
    <message>
        <source>Top</source>
        <translation>上装</translation>
    </message>
    <message>
        <source>Bottom</source>
        <translation>下装</translation>
    </message>
    <message>
        <source>Shoes</source>
        <translation>鞋码</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Sizes</source>
        <translation>尺码</translation>
    </message>
    <message>
        <source>Preferences</source>
        <translation>偏好</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>No marketing</source>
        <translation>不接收营销</translation>
    </message>
    <message>
        <source>Why no marketing</source>
        <translation>退订原因</translation>
    </message>
    <message>
        <source>Store</source>
        <translation>门店</translation>
    </message>
    <message>
        <source>Guide</source>
        <translation>导购</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>顾客</translation>
    </message>
    <message>
        <source>Purchase</source>
        <translation>消费记录</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>跟进</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Task target</source>
        <translation>任务对象</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>分享</translation>
    </message>
    <message>
        <source>Appointment</source>
        <translation>预约</translation>
    </message>
    <message>
        <source>Lost edit</source>
        <translation>未生效的修改</translation>
    </message>
    <message>
        <source>Handover</source>
        <translation>交接</translation>
    </message>
    <message>
        <source>Peer tip</source>
        <translation>同事心得</translation>
    </message>
    <message>
        <source>Counter visit note</source>
        <translation>接待记录</translation>
    </message>
    <message>
        <source>Profile edit</source>
        <translation>资料修改</translation>
    </message>
    <message>
        <source>Appointment change</source>
        <translation>预约修改</translation>
    </message>
    <message>
        <source>Task outcome</source>
        <translation>任务结果</translation>
    </message>
    <message>
        <source>Review of a task</source>
        <translation>任务审核</translation>
    </message>
    <message>
        <source>Task reassignment</source>
        <translation>任务转派</translation>
    </message>
    <message>
        <source>Phone number shown</source>
        <translation>查看完整号码</translation>
    </message>
    <message>
        <source>Phone number copied</source>
        <translation>已复制手机号</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Lock</source>
        <translation>锁屏</translation>
    </message>
    <message>
        <source>Lock the screen (Ctrl+L)</source>
        <translation>锁定屏幕（Ctrl+L）</translation>
    </message>
    <message>
        <source>{name} (manager)</source>
        <translation>{name}（店长）</translation>
    </message>
    <message>
        <source>GuideDesk — {store} — {guide}</source>
        <translation>导购工作台 — {store} — {guide}</translation>
    </message>
</context>
<context>
    <name>Mix631</name>
    <message>
        <source>No shares in the last 30 days yet: start with a piece of brand content.</source>
        <translation>近30天还没有分享，先从一条品牌内容开始吧</translation>
    </message>
    <message>
        <source>A healthy mix: keep it up.</source>
        <translation>比例很健康，继续保持</translation>
    </message>
    <message>
        <source>A lot of brand content: try answering a customer&apos;s question or an after-sale check-in.</source>
        <translation>品牌类内容偏多，试试回答顾客的问题或做一次售后关怀</translation>
    </message>
    <message>
        <source>Little brand content: try sharing a brand story or an outfit.</source>
        <translation>品牌类内容偏少，试试分享一条品牌故事或穿搭</translation>
    </message>
    <message>
        <source>A lot of service content: share some brand and outfit pieces too.</source>
        <translation>服务类内容偏多，也分享一些品牌和穿搭内容吧</translation>
    </message>
    <message>
        <source>Little service content: try answering a customer&apos;s question or an after-sale check-in.</source>
        <translation>服务类内容偏少，试试回答顾客的问题或做一次售后关怀</translation>
    </message>
    <message>
        <source>Too much selling content this month: try sharing an outfit.</source>
        <translation>这个月销售类内容偏多，试试分享一条穿搭</translation>
    </message>
    <message>
        <source>Little selling content: recommend a new arrival or an offer when it fits.</source>
        <translation>销售类内容偏少，合适时可以推荐一款新品或活动</translation>
    </message>
</context>
<context>
    <name>MixPanel</name>
    <message>
        <source>Me</source>
        <translation>我</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>631 mix, last 30 days</source>
        <translation>近30天 631 比例</translation>
    </message>
    <message>
        <source>Guide</source>
        <translation>导购</translation>
    </message>
    <message>
        <source>Over</source>
        <translation>超限</translation>
    </message>
    <message>
        <source>Advice</source>
        <translation>建议</translation>
    </message>
    <message>
        <source>Shares to customers over the contact cap, or who had opted out, in these 30 days</source>
        <translation>近30天内发给已达联系上限或已退订顾客的分享</translation>
    </message>
    <message>
        <source>; the customer had opted out</source>
        <translation>；顾客当时已退订营销消息</translation>
    </message>
    <message numerus="yes">
        <source>%n share(s)</source>
        <translation>
            <numerusform>%n 次分享</numerusform>
        </translation>
    </message>
    <message>
        <source>sent after the customer had opted out (found by HQ)</source>
        <translation>顾客退订营销消息后发出（总部核对发现）</translation>
    </message>
    <message>
        <source>no reason given (found by HQ)</source>
        <translation>未说明原因（总部复核发现）</translation>
    </message>
</context>
<context>
    <name>NavRail</name>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
</context>
<context>
    <name>Navigation</name>
    <message>
        <source>Customers</source>
        <translation>顾客</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Appointments</source>
        <translation>预约</translation>
    </message>
    <message>
        <source>Your calendar of fittings and visits will be here, with reminders and clash checks.</source>
        <translation>这里将显示试衣和到店预约日历，带提醒和时间冲突检查。</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>业绩</translation>
    </message>
    <message>
        <source>Your sales, conversions and progress toward this month&apos;s target will be here.</source>
        <translation>这里将显示你的业绩、成交转化和本月目标进度。</translation>
    </message>
</context>
<context>
    <name>OutcomeDialog</name>
    <message>
        <source>Record the outcome</source>
        <translation>记录任务结果</translation>
    </message>
    <message>
        <source>The manager returned it: {comment}</source>
        <translation>店长驳回：{comment}</translation>
    </message>
    <message>
        <source>What did the customer say? (optional)</source>
        <translation>顾客怎么说？（可不填）</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>This task asks for evidence: what was sent, what was agreed</source>
        <translation>此任务需要凭证：发了什么、约定了什么</translation>
    </message>
    <message>
        <source>Evidence</source>
        <translation>凭证</translation>
    </message>
    <message>
        <source>This task asks for a screenshot: copy it, then press Ctrl+V here.</source>
        <translation>此任务需要截图凭证：先复制截图，再在这里按 Ctrl+V。</translation>
    </message>
    <message>
        <source>Paste screenshot (Ctrl+V)</source>
        <translation>粘贴截图（Ctrl+V）</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <source>Over the contact cap</source>
        <translation>超出联系上限</translation>
    </message>
    <message>
        <source>{name} has been contacted as often as the store allows. Send anyway only with a reason; your store manager sees it.</source>
        <translation>{name}近期的联系次数已达本店上限。只有写明原因才能继续发送，店长会看到这条原因。</translation>
    </message>
    <message>
        <source>e.g. the customer asked about the new coats</source>
        <translation>例如：顾客主动询问新款大衣</translation>
    </message>
    <message>
        <source>Send anyway</source>
        <translation>仍然发送</translation>
    </message>
</context>
<context>
    <name>ProfileFold</name>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>ProfilePane</name>
    <message>
        <source>Choose a customer on the left, or search by the last 4 digits of a phone.</source>
        <translation>在左侧选择一位顾客，或输入手机尾号后四位搜索。</translation>
    </message>
    <message>
        <source>Show number</source>
        <translation>显示号码</translation>
    </message>
    <message>
        <source>Shows the full number; every reveal is recorded.</source>
        <translation>显示完整号码；每次查看都会被记录。</translation>
    </message>
    <message>
        <source>Copy number</source>
        <translation>复制号码</translation>
    </message>
    <message>
        <source>Copies the full number to the clipboard; every copy is recorded.</source>
        <translation>把完整号码复制到剪贴板；每次复制都会记录。</translation>
    </message>
    <message>
        <source>Log follow-up</source>
        <translation>记跟进</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑资料</translation>
    </message>
    <message>
        <source>Share content</source>
        <translation>分享内容</translation>
    </message>
    <message>
        <source>{points} points</source>
        <translation>{points} 积分</translation>
    </message>
    <message>
        <source>Changes for this customer waiting to sync: {n}</source>
        <translation>该顾客有 {n} 条改动待同步</translation>
    </message>
    <message>
        <source>Edits that were not kept</source>
        <translation>未被采纳的修改</translation>
    </message>
    <message>
        <source>{field}: kept “{kept}”, lost “{lost}” ({who}, {when})</source>
        <translation>{field}：保留“{kept}”，未采纳“{lost}”（{who}，{when}）</translation>
    </message>
    <message>
        <source>About</source>
        <translation>资料</translation>
    </message>
    <message>
        <source>Guide</source>
        <translation>导购</translation>
    </message>
    <message>
        <source>Birthday</source>
        <translation>生日</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Sizes</source>
        <translation>尺码</translation>
    </message>
    <message>
        <source>Preferences</source>
        <translation>偏好</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Marketing</source>
        <translation>营销消息</translation>
    </message>
    <message>
        <source>Opted out: {reason}</source>
        <translation>已退订：{reason}</translation>
    </message>
    <message>
        <source>Accepts marketing</source>
        <translation>接收</translation>
    </message>
    <message>
        <source>Spent in 12 months</source>
        <translation>近一年消费</translation>
    </message>
    <message>
        <source>Member since</source>
        <translation>入会时间</translation>
    </message>
    <message>
        <source>Open tasks</source>
        <translation>待办任务</translation>
    </message>
    <message>
        <source>due {day}</source>
        <translation>{day} 截止</translation>
    </message>
    <message>
        <source>returned by the manager</source>
        <translation>店长已驳回</translation>
    </message>
    <message>
        <source>Follow-ups</source>
        <translation>跟进记录</translation>
    </message>
    <message>
        <source>No follow-ups yet.</source>
        <translation>还没有跟进记录。</translation>
    </message>
    <message>
        <source>Served at the counter</source>
        <translation>接待记录</translation>
    </message>
    <message>
        <source>A colleague&apos;s note: {name} served this customer</source>
        <translation>同事留言：{name}接待了这位顾客</translation>
    </message>
    <message>
        <source>waiting to sync</source>
        <translation>待同步</translation>
    </message>
    <message>
        <source>Next follow-up: {day}</source>
        <translation>下次跟进：{day}</translation>
    </message>
    <message>
        <source>Shared content</source>
        <translation>分享记录</translation>
    </message>
    <message>
        <source>No content shared yet.</source>
        <translation>还没有给这位顾客分享过内容。</translation>
    </message>
    <message>
        <source>Own composition</source>
        <translation>自由组合</translation>
    </message>
    <message>
        <source>Over the contact cap, sent because: {reason}</source>
        <translation>已超出联系上限，仍发送的原因：{reason}</translation>
    </message>
    <message>
        <source>HQ found it over the contact cap</source>
        <translation>总部复核：发送时已超出联系上限</translation>
    </message>
    <message>
        <source>Sent after the customer had opted out of marketing</source>
        <translation>顾客退订营销消息后发出</translation>
    </message>
    <message>
        <source>Purchases</source>
        <translation>购买记录</translation>
    </message>
    <message>
        <source>No purchases yet.</source>
        <translation>还没有购买记录。</translation>
    </message>
    <message>
        <source>Inherited from {name} on {day}</source>
        <translation>{day} 继承自 {name}</translation>
    </message>
    <message>
        <source>HQ</source>
        <translation>总部</translation>
    </message>
    <message>
        <source>(the former guide has left)</source>
        <translation>（原导购已离职）</translation>
    </message>
    <message>
        <source>Handover brief</source>
        <translation>交接简报</translation>
    </message>
    <message>
        <source>Last conversation: {day} · {channel}: “{text}”</source>
        <translation>上次沟通：{day} · {channel}：“{text}”</translation>
    </message>
    <message>
        <source>Open tasks: {value}</source>
        <translation>待办任务：{value}</translation>
    </message>
    <message>
        <source>Appointments: {value}</source>
        <translation>预约：{value}</translation>
    </message>
    <message>
        <source>Preferences: {value}</source>
        <translation>偏好：{value}</translation>
    </message>
    <message>
        <source>What the former guide noted: {value}</source>
        <translation>原导购备注：{value}</translation>
    </message>
    <message>
        <source>Last purchase: {value}</source>
        <translation>最近购买：{value}</translation>
    </message>
    <message>
        <source>No contact recorded before the handover.</source>
        <translation>交接前没有沟通记录。</translation>
    </message>
    <message>
        <source>Last contact {n} days before the handover, by {channel}.</source>
        <translation>交接前 {n} 天最后一次联系（{channel}）。</translation>
    </message>
</context>
<context>
    <name>RejectedDialog</name>
    <message>
        <source>Changes refused by HQ</source>
        <translation>被总部退回的改动</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>改动</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>HQ refused these changes. They are kept here with HQ&apos;s reason; show this list to your store manager or IT.</source>
        <translation>总部没有接受这些改动，已连同总部的原因保存在本机。请把这个列表给店长或信息部看。</translation>
    </message>
</context>
<context>
    <name>ShareDialog</name>
    <message>
        <source>Share “{title}”</source>
        <translation>分享“{title}”</translation>
    </message>
    <message>
        <source>Search your customers</source>
        <translation>搜索我的顾客</translation>
    </message>
    <message>
        <source>Send anyway…</source>
        <translation>仍然发送…</translation>
    </message>
    <message>
        <source>This customer has been contacted as often as the store allows; say why</source>
        <translation>这位顾客的联系次数已达本店上限，需说明原因</translation>
    </message>
    <message>
        <source>Copy for WeChat</source>
        <translation>复制到微信</translation>
    </message>
    <message>
        <source>Next customer</source>
        <translation>下一位</translation>
    </message>
    <message>
        <source>Contacted %1 times in %2 days</source>
        <translation>近%2天已联系 %1 次</translation>
    </message>
    <message>
        <source>Contacted %1 times in %2 days (cap %3)</source>
        <translation>近%2天已联系 %1 次（上限 %3 次）</translation>
    </message>
    <message>
        <source>Over the cap, reason given: %1</source>
        <translation>超出上限，原因：%1</translation>
    </message>
    <message>
        <source>At the store&apos;s contact cap (%1)</source>
        <translation>已达本店联系上限（%1 次）</translation>
    </message>
    <message>
        <source>Opted out of marketing: %1</source>
        <translation>已退订营销消息：%1</translation>
    </message>
    <message>
        <source>Tick the customers this is for.</source>
        <translation>勾选要分享给的顾客。</translation>
    </message>
    <message>
        <source>{n} of {total}: {name}</source>
        <translation>第 {n} 位，共 {total} 位：{name}</translation>
    </message>
    <message>
        <source>Copied again (the share was already recorded).</source>
        <translation>已再次复制（这次分享已记录过）。</translation>
    </message>
    <message>
        <source>Copied for {name}: paste it into WeChat. The share is recorded.</source>
        <translation>已为{name}复制好，粘贴到微信即可。分享已记录。</translation>
    </message>
</context>
<context>
    <name>SignInView</name>
    <message>
        <source>GuideDesk</source>
        <translation>导购工作台</translation>
    </message>
    <message>
        <source>Locked</source>
        <translation>已锁屏</translation>
    </message>
    <message>
        <source>{name} locked this screen. Type the PIN to carry on, or choose another guide.</source>
        <translation>{name} 已锁屏。输入 PIN 码继续，或选择其他导购登录。</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN 码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Guide</source>
        <translation>导购</translation>
    </message>
    <message>
        <source>{name} (manager)</source>
        <translation>{name}（店长）</translation>
    </message>
    <message>
        <source>No guides on this terminal yet: sync first, or ask IT to enrol it.</source>
        <translation>本机还没有导购名单：请先同步，或请信息部登记本机。</translation>
    </message>
    <message>
        <source>Type your PIN.</source>
        <translation>请输入 PIN 码。</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <source>Wrong PIN. Tries left before {name} is paused: {n}</source>
        <translation>PIN 码不对。再错 {n} 次，{name} 将被暂停登录。</translation>
    </message>
    <message>
        <source>{name} is locked at HQ after too many wrong PINs. Ask your store manager or HQ to unlock.</source>
        <translation>{name} 输错 PIN 码次数过多，已被总部锁定。请店长或总部解锁。</translation>
    </message>
    <message>
        <source>{name} can no longer sign in: HQ has disabled this account.</source>
        <translation>{name} 已不能登录：总部已停用该账号。</translation>
    </message>
    <message>
        <source>Too many sign-in attempts at HQ. Try again in {time}.</source>
        <translation>登录尝试过于频繁，请 {time} 后再试。</translation>
    </message>
    <message>
        <source>HQ refused the sign-in: {reason}</source>
        <translation>总部拒绝了登录：{reason}</translation>
    </message>
    <message>
        <source>Your PIN must change before you can sign in. Sign in again.</source>
        <translation>必须先修改 PIN 码才能登录，请重新登录。</translation>
    </message>
    <message>
        <source>Too many wrong PINs for {name}. Try again in {time}.</source>
        <translation>{name} 输错 PIN 码次数过多，请 {time} 后再试。</translation>
    </message>
    <message>
        <source>You can try again now.</source>
        <translation>现在可以重试了。</translation>
    </message>
</context>
<context>
    <name>SkippedDialog</name>
    <message>
        <source>Some HQ data was skipped</source>
        <translation>部分总部数据已跳过</translation>
    </message>
    <message>
        <source>Records sent by HQ that could not be stored on this terminal: {n}. They were skipped; everything else synced. Please tell IT (Details lists them).</source>
        <translation>有 {n} 条总部数据无法保存到本机，已跳过（其余已同步）。请告知信息部（“详情”中列出了这些数据）。</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>知道了</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
</context>
<context>
    <name>SyncController</name>
    <message>
        <source>Sync failed unexpectedly (details were logged).</source>
        <translation>同步意外失败（详情已记录）。</translation>
    </message>
</context>
<context>
    <name>SyncProgressBar</name>
    <message>
        <source>Uploading changes: %v / %m</source>
        <translation>正在上传修改：%v / %m</translation>
    </message>
    <message>
        <source>First sync: %v / %m</source>
        <translation>首次同步：%v / %m</translation>
    </message>
</context>
<context>
    <name>SyncStatusLabel</name>
    <message>
        <source>F5: sync now</source>
        <translation>F5：立即同步</translation>
    </message>
    <message>
        <source>Recorded for audit: each phone number shown or copied. These are not edits; they go to HQ&apos;s audit log with the next sync.</source>
        <translation>已记录备查：每次显示或复制顾客手机号都会记录。这些不是修改，下次同步时送到总部的审计记录。</translation>
    </message>
    <message>
        <source>Not enrolled: please contact IT</source>
        <translation>未登记，请联系信息部</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>正在同步…</translation>
    </message>
    <message>
        <source>This terminal was switched off by HQ and its data removed: contact IT</source>
        <translation>本终端已被总部停用，本机数据已清除：请联系信息部</translation>
    </message>
    <message>
        <source>Offline: changes are kept here and sent when HQ is reachable</source>
        <translation>离线：改动先存在本机，连上总部后自动上传</translation>
    </message>
    <message>
        <source>Sync problem: {error}</source>
        <translation>同步出错：{error}</translation>
    </message>
    <message>
        <source>Last synced {when}</source>
        <translation>上次同步 {when}</translation>
    </message>
    <message>
        <source>Never synced</source>
        <translation>还没有同步过</translation>
    </message>
    <message>
        <source>Edits waiting to upload: {n}</source>
        <translation>{n} 条修改待上传</translation>
    </message>
    <message>
        <source>All edits uploaded</source>
        <translation>修改已全部上传</translation>
    </message>
    <message>
        <source>Recorded for audit: {n}</source>
        <translation>已记录备查 {n} 条</translation>
    </message>
    <message>
        <source>Refused by HQ: {n}</source>
        <translation>{n} 条被总部退回</translation>
    </message>
    <message>
        <source>1 record from HQ could not be stored here and was skipped; everything else synced</source>
        <translation>有 1 条总部数据无法保存到本机，已跳过（其余已同步）</translation>
    </message>
    <message>
        <source>{n} records from HQ could not be stored here and were skipped; everything else synced</source>
        <translation>有 {n} 条总部数据无法保存到本机，已跳过（其余已同步）</translation>
    </message>
</context>
<context>
    <name>TargetListModel</name>
    <message>
        <source>Customer</source>
        <translation>顾客</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>手机</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Last contact</source>
        <translation>最近联系</translation>
    </message>
    <message>
        <source>Opted out</source>
        <translation>已退订营销</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>未写原因</translation>
    </message>
    <message>
        <source>Opted out of marketing after this task was published ({why}): do not contact them for it.</source>
        <translation>任务发布后顾客退订了营销消息（{why}），这项任务请不要再联系。</translation>
    </message>
    <message>
        <source>Manager&apos;s comment: {comment}</source>
        <translation>店长意见：{comment}</translation>
    </message>
</context>
<context>
    <name>TaskLabels</name>
    <message>
        <source>Contacted</source>
        <translation>已联系</translation>
    </message>
    <message>
        <source>Unreachable</source>
        <translation>联系不上</translation>
    </message>
    <message>
        <source>Declined</source>
        <translation>婉拒</translation>
    </message>
    <message>
        <source>Purchased</source>
        <translation>已购买</translation>
    </message>
    <message>
        <source>Booked a visit</source>
        <translation>已预约到店</translation>
    </message>
    <message>
        <source>To do</source>
        <translation>待完成</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>已通过</translation>
    </message>
    <message>
        <source>Returned: redo</source>
        <translation>驳回待重做</translation>
    </message>
    <message>
        <source>Follow-ups due</source>
        <translation>到期跟进</translation>
    </message>
    <message>
        <source>Birthdays within 7 days</source>
        <translation>7 天内生日</translation>
    </message>
    <message>
        <source>New customers: day 3 / 7 / 14</source>
        <translation>新客回访（第 3 / 7 / 14 天）</translation>
    </message>
</context>
<context>
    <name>TaskListModel</name>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>截止</translation>
    </message>
    <message>
        <source>overdue {day}</source>
        <translation>逾期 {day}</translation>
    </message>
    <message>
        <source>by {day}</source>
        <translation>{day} 截止</translation>
    </message>
</context>
<context>
    <name>TasksPage</name>
    <message>
        <source>Today</source>
        <translation>今日</translation>
    </message>
    <message>
        <source>Team</source>
        <translation>团队</translation>
    </message>
</context>
<context>
    <name>TeamView</name>
    <message>
        <source>Contacted</source>
        <translation>已联系</translation>
    </message>
    <message>
        <source>Unreachable</source>
        <translation>联系不上</translation>
    </message>
    <message>
        <source>Declined</source>
        <translation>婉拒</translation>
    </message>
    <message>
        <source>Purchased</source>
        <translation>已购买</translation>
    </message>
    <message>
        <source>Booked</source>
        <translation>已预约</translation>
    </message>
    <message>
        <source>(nobody)</source>
        <translation>（未分配）</translation>
    </message>
    <message>
        <source>overdue</source>
        <translation>已逾期</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未完成</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>已通过</translation>
    </message>
    <message>
        <source>Rejected, to redo</source>
        <translation>已驳回，待重做</translation>
    </message>
    <message>
        <source>Targets</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>逾期</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已驳回</translation>
    </message>
    <message>
        <source>Rate</source>
        <translation>完成率</translation>
    </message>
    <message>
        <source>Guide</source>
        <translation>导购</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>截止</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>顾客</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Evidence</source>
        <translation>凭证</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>完成时间</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>By guide</source>
        <translation>按导购</translation>
    </message>
    <message>
        <source>By task</source>
        <translation>按任务</translation>
    </message>
    <message>
        <source>Click to enlarge</source>
        <translation>点击放大</translation>
    </message>
    <message>
        <source>No picture attached</source>
        <translation>未附图片</translation>
    </message>
    <message>
        <source>Comment for the guide (needed to reject; they will see it)</source>
        <translation>给导购的意见（驳回时必填，导购会看到）</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>驳回</translation>
    </message>
    <message>
        <source>A rejection needs a comment for the guide</source>
        <translation>驳回需要填写给导购的原因</translation>
    </message>
    <message>
        <source>Evidence note</source>
        <translation>凭证说明</translation>
    </message>
    <message>
        <source>Your comment</source>
        <translation>审核意见</translation>
    </message>
    <message>
        <source>Reassign</source>
        <translation>转派</translation>
    </message>
    <message>
        <source>Give the selected target to</source>
        <translation>将选中的任务转派给</translation>
    </message>
    <message>
        <source>Team completion</source>
        <translation>团队完成情况</translation>
    </message>
    <message>
        <source>To review</source>
        <translation>待审核</translation>
    </message>
    <message>
        <source>Open · reassign</source>
        <translation>未完成 · 转派</translation>
    </message>
    <message>
        <source>{day}: {targets} targets in open tasks · {done} done · {open} open · {overdue} overdue · {queue} waiting for your review</source>
        <translation>{day}：进行中的任务共 {targets} 个目标 · 已完成 {done} · 未完成 {open} · 逾期 {overdue} · 待您审核 {queue}</translation>
    </message>
    <message>
        <source>To review ({n})</source>
        <translation>待审核（{n}）</translation>
    </message>
    <message>
        <source>Open · reassign ({n})</source>
        <translation>未完成 · 转派（{n}）</translation>
    </message>
    <message>
        <source>Overdue first. Showing {shown} of {total}.</source>
        <translation>逾期的排在前面。显示 {total} 条中的 {shown} 条。</translation>
    </message>
    <message>
        <source>Overdue first.</source>
        <translation>逾期的排在前面。</translation>
    </message>
    <message>
        <source>HQ refused {n} of your reviews or reassignments. Latest: {reason}</source>
        <translation>总部拒绝了您的 {n} 条审核或转派。最近一条：{reason}</translation>
    </message>
    <message>
        <source>Nothing is waiting for your review.</source>
        <translation>目前没有待审核的任务。</translation>
    </message>
    <message>
        <source>Choose a completed task in the list.</source>
        <translation>请在列表中选择一条已完成的任务。</translation>
    </message>
    <message>
        <source>{task}
Customer: {customer} · Guide: {guide}
Outcome: {outcome} · Completed {at}</source>
        <translation>{task}
顾客：{customer} · 导购：{guide}
结果：{outcome} · 完成于 {at}</translation>
    </message>
    <message>
        <source>(no note)</source>
        <translation>（无说明）</translation>
    </message>
    <message>
        <source>Write why you reject it first: the guide will read your comment.</source>
        <translation>请先写明驳回原因：导购会看到您的意见。</translation>
    </message>
    <message>
        <source>Approved: {customer}</source>
        <translation>已通过：{customer}</translation>
    </message>
    <message>
        <source>Rejected: {customer}. It is open again for {guide}.</source>
        <translation>已驳回：{customer}。已退回给 {guide} 重新完成。</translation>
    </message>
    <message>
        <source>manager</source>
        <translation>店长</translation>
    </message>
    <message>
        <source>{customer} ({task}) now goes to {guide}.</source>
        <translation>{customer}（{task}）已转派给 {guide}。</translation>
    </message>
</context>
<context>
    <name>TipDialog</name>
    <message>
        <source>Share a tip</source>
        <translation>分享一条心得</translation>
    </message>
    <message>
        <source>What worked for you with a customer? A few lines for your colleagues.</source>
        <translation>接待顾客时什么方法管用？写几句分享给同事。</translation>
    </message>
    <message>
        <source>My store</source>
        <translation>本店</translation>
    </message>
    <message>
        <source>Whole brand</source>
        <translation>全品牌</translation>
    </message>
    <message>
        <source>Add a picture…</source>
        <translation>添加图片…</translation>
    </message>
    <message>
        <source>Post</source>
        <translation>发布</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>For:</source>
        <translation>分享给：</translation>
    </message>
    <message>
        <source>Ctrl+Enter posts</source>
        <translation>Ctrl+Enter 发布</translation>
    </message>
    <message>
        <source>Add a picture</source>
        <translation>添加图片</translation>
    </message>
    <message>
        <source>Pictures (*.png *.jpg *.jpeg *.bmp *.gif)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.bmp *.gif)</translation>
    </message>
    <message>
        <source>That file is not a picture we can read; choose a JPEG or PNG.</source>
        <translation>这个文件不是可读取的图片，请选择 JPEG 或 PNG 图片。</translation>
    </message>
    <message>
        <source>Picture added ({w}×{h}).</source>
        <translation>已添加图片（{w}×{h}）。</translation>
    </message>
    <message>
        <source>Write a few words first.</source>
        <translation>请先写几句话。</translation>
    </message>
    <message>
        <source>Too long: {n} characters, at most {max}. Shorten it a little.</source>
        <translation>太长了：共 {n} 字，最多 {max} 字，请精简一些。</translation>
    </message>
    <message>
        <source>Not posted: {error}. Your text is kept.</source>
        <translation>没有发布：{error}。你写的内容已保留。</translation>
    </message>
</context>
<context>
    <name>TipsPanel</name>
    <message>
        <source>Write a tip…</source>
        <translation>写一条心得…</translation>
    </message>
    <message>
        <source>Tips from colleagues</source>
        <translation>同事心得</translation>
    </message>
    <message>
        <source>Must-read for new guides</source>
        <translation>新人必看</translation>
    </message>
    <message>
        <source>No tips yet. Share one of your lessons with your colleagues.</source>
        <translation>还没有心得。把你的一条经验分享给同事吧。</translation>
    </message>
    <message>
        <source>my store</source>
        <translation>本店</translation>
    </message>
    <message>
        <source>brand</source>
        <translation>全品牌</translation>
    </message>
    <message>
        <source>Pinned</source>
        <translation>置顶</translation>
    </message>
    <message>
        <source>Waiting for sync</source>
        <translation>待同步</translation>
    </message>
    <message>
        <source>{month}/{day}</source>
        <translation>{month}月{day}日</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>内容</translation>
    </message>
</context>
<context>
    <name>TodayView</name>
    <message>
        <source>Today</source>
        <translation>今日任务</translation>
    </message>
    <message>
        <source>Record outcome</source>
        <translation>记录结果</translation>
    </message>
    <message>
        <source>Also logs the follow-up (Enter on a customer)</source>
        <translation>同时记一条跟进（在顾客上按回车）</translation>
    </message>
    <message>
        <source>Campaign {id}</source>
        <translation>活动 {id}</translation>
    </message>
    <message>
        <source>HQ tasks</source>
        <translation>总部任务</translation>
    </message>
    <message>
        <source>My own follow-ups</source>
        <translation>我的跟进提醒</translation>
    </message>
    <message>
        <source>{day}: {n} customers to contact</source>
        <translation>{day}：待联系顾客 {n} 位</translation>
    </message>
    <message>
        <source> · {n} overdue</source>
        <translation> · 逾期 {n} 位</translation>
    </message>
    <message>
        <source>No tasks today. HQ campaigns arrive with the next sync (F5); follow-ups you schedule, birthdays and new customers appear here by themselves.</source>
        <translation>今天没有任务。总部活动会随下次同步（F5）到达；你约定的跟进、近期生日和新客回访会自动出现在这里。</translation>
    </message>
    <message>
        <source>Choose a task on the left to see its customers.</source>
        <translation>在左侧选择一个任务，查看要联系的顾客。</translation>
    </message>
    <message>
        <source>Birthday {day}</source>
        <translation>生日 {day}</translation>
    </message>
    <message>
        <source>Day {n} after the first purchase</source>
        <translation>首购后第 {n} 天</translation>
    </message>
    <message>
        <source>Planned for {day}</source>
        <translation>约定 {day} 跟进</translation>
    </message>
    <message>
        <source>Suggested content ({n})</source>
        <translation>推荐内容（{n}）</translation>
    </message>
    <message>
        <source>{id} (not on this terminal yet; it comes with a sync)</source>
        <translation>{id}（本机还没有，同步后可见）</translation>
    </message>
    <message>
        <source>The Content page is coming; until then, find these by title.</source>
        <translation>内容页面即将上线，现在请按标题查找。</translation>
    </message>
    <message>
        <source>No customers left in this task. Well done.</source>
        <translation>这个任务的顾客都已完成，辛苦了。</translation>
    </message>
    <message>
        <source>Returned by the manager: {comment}</source>
        <translation>店长驳回：{comment}</translation>
    </message>
</context>
<context>
    <name>Workbench</name>
    <message>
        <source>GuideDesk — sign in</source>
        <translation>导购工作台 — 登录</translation>
    </message>
    <message>
        <source>GuideDesk</source>
        <translation>导购工作台</translation>
    </message>
    <message>
        <source>Your PIN is too short or too easy to guess. HQ cannot be reached now, so you can work with it today; you will be asked to choose a new PIN at your next sign-in while HQ is reachable.</source>
        <translation>您的 PIN 码太短或太容易被猜到。现在连不上总部，今天可以先继续使用；下次在能连上总部时登录，会要求您设置新 PIN 码。</translation>
    </message>
</context>
<context>
    <name>_SavingDialog</name>
    <message>
        <source>Restored what you typed last time and did not save.</source>
        <translation>上次未保存的内容已恢复</translation>
    </message>
    <message>
        <source>Discard draft</source>
        <translation>丢弃草稿</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
</TS>
